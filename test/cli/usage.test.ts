// `harness usage`: calls, tokens and model time across runs per workflow and model, with --json and --since.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/index.ts';
import { codeReviewRun, reviewNoteRun, runsSimulator, type RunsFixture } from '../inspect/fixtures/runs.ts';
import { inProcess, tempDir, type Env } from './harness.ts';

interface Row {
  name: string;
  calls: number;
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
}

interface Report {
  runs: number;
  since: string | null;
  total: Row;
  byWorkflow: Row[];
  byModel: Row[];
}

describe('harness usage', () => {
  let fixture: RunsFixture;
  let env: Env;
  const savedHost = process.env.OLLAMA_HOST;

  beforeAll(async () => {
    fixture = await runsSimulator();
    process.env.OLLAMA_HOST = fixture.sim.url;
    env = { ollamaHost: fixture.sim.url, snapshots: tempDir() };
    const store = new FileStore({ dir: env.snapshots });
    fixture.draftGate.open();
    await codeReviewRun(store, 'review-1');
    await reviewNoteRun(store, 'note-1');
  }, 60_000);

  afterAll(async () => {
    await fixture?.sim.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(env.snapshots, { recursive: true, force: true });
  });

  it('prints per workflow and per model as JSON, judge calls counted', async () => {
    const result = await inProcess(['usage', '--json'], env);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.runs).toBe(2);
    expect(report.byWorkflow.map((w) => [w.name, w.calls])).toEqual([['code-review', 7], ['review-note', 2]]);
    expect(report.total.calls).toBe(9);
    expect(report.byModel.reduce((n, m) => n + m.tokensIn, 0)).toBe(report.total.tokensIn);
    expect(report.byModel.map((m) => m.name).sort()).toEqual(['qwen2.5-coder:32b', 'qwen2.5-coder:7b']);
  });

  it('prints tables for people, and --since leaves older runs out', async () => {
    const text = await inProcess(['usage'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^2 run\(s\) in /);
    expect(text.stdout).toMatch(/WORKFLOW\s+CALLS\s+TOKENS IN\s+TOKENS OUT\s+MODEL TIME/);
    expect(text.stdout).toMatch(/code-review\s+7\s/);
    expect(text.stdout).toMatch(/total\s+9\s/);
    const later = JSON.parse((await inProcess(['usage', '--json', '--since', new Date(Date.now() + 60_000).toISOString()], env)).stdout) as Report;
    expect([later.runs, later.total.calls]).toEqual([0, 0]);
  });

  it('refuses a --since that is not a time', async () => {
    const result = await inProcess(['usage', '--since', 'yesterday'], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--since needs an ISO time');
  });
});
