// Every command counts a run's calls the same way: a fork's reused calls apart from the ones it paid (issue 17).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyView } from '../../src/inspect/fork.ts';
import { runUsage } from '../../src/inspect/usage.ts';
import { runView } from '../../src/inspect/view.ts';
import { forkRun } from '../../src/runtime/index.ts';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { codeReviewRun, runsSimulator, type RunsFixture } from '../inspect/fixtures/runs.ts';
import { inProcess, tempDir, type Env } from './harness.ts';

describe('call counts of a forked run, in every command', () => {
  let fixture: RunsFixture;
  let env: Env;
  let store: FileStore;
  let source: RunRecord;
  let fork: RunRecord;
  let reused: number;
  const savedHost = process.env.OLLAMA_HOST;

  beforeAll(async () => {
    fixture = await runsSimulator();
    process.env.OLLAMA_HOST = fixture.sim.url;
    env = { ollamaHost: fixture.sim.url, snapshots: tempDir() };
    store = new FileStore({ dir: env.snapshots });
    source = await codeReviewRun(store, 'review-1');
    // A checkpoint with some calls journaled and some still to make: the fork reuses the first, pays for the rest.
    const history = await store.history('review-1');
    const middle = history.find((entry) => entry.journalCount > 0 && entry.journalCount < source.journal.length);
    if (!middle) throw new Error('the code review has no checkpoint between its first and last call');
    reused = middle.journalCount;
    const made = fixture.sim.stats().completed;
    fork = await forkRun({ store, runId: 'review-1', at: middle.seq, newRunId: 'fork-1', limiter: null });
    // The calls the model really answered for the fork: what its paid count must be.
    expect(fixture.sim.stats().completed - made).toBe(fork.journal.length - reused);
  }, 120_000);

  afterAll(async () => {
    await fixture?.sim.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(env.snapshots, { recursive: true, force: true });
  });

  it('the run itself: paid calls are the ones made, reused ones marked', () => {
    const paid = fork.journal.length - reused;
    expect(paid).toBeGreaterThan(0);
    expect(fork.usage).toMatchObject({ calls: paid, reused });
    expect(source.usage.calls).toBe(source.journal.length);
    expect(source.usage.reused).toBeUndefined();
  });

  it('usage, ls, history, show and the inspector agree', async () => {
    const paid = fork.journal.length - reused;
    const usage = JSON.parse((await inProcess(['usage', '--json'], env)).stdout) as { total: { calls: number; reused: number; tokensIn: number } };
    expect(usage.total).toMatchObject({ calls: source.usage.calls + paid, reused });
    expect(usage.total.tokensIn).toBe(source.usage.tokensIn + fork.usage.tokensIn);

    const ls = JSON.parse((await inProcess(['ls', '--json'], env)).stdout) as { runs: { runId: string; calls: number; reused?: number }[] };
    expect(ls.runs.find((r) => r.runId === 'fork-1')).toMatchObject({ calls: paid, reused });

    const history = JSON.parse((await inProcess(['history', 'fork-1', '--json'], env)).stdout) as { calls: { paid: number; reused: number } }[];
    expect(history.at(-1)?.calls).toMatchObject({ paid, reused });
    expect(history[0]?.calls).toMatchObject({ paid: 0, reused });

    const text = `${paid} paid, ${reused} reused`;
    const show = await inProcess(['show', 'fork-1'], env);
    expect(show.stdout).toMatch(new RegExp(`usage\\s+${text} calls`));
    expect(show.stdout).toContain(`model calls (${text})`);
    expect(show.stdout.match(/\(reused\)/g)).toHaveLength(reused);
    expect((await inProcess(['usage'], env)).stdout).toContain(`calls: ${source.usage.calls + paid} paid, ${reused} reused`);

    expect(runView(fork).callsText).toBe(text);
    expect(runUsage(fork).total).toMatchObject({ calls: paid, reused });
    expect((await historyView(store, 'fork-1')).checkpoints.at(-1)?.calls).toBe(text);
  });

  it('a judge call counts in history as in show: the source run', async () => {
    const judges = source.journal.filter((entry) => entry.key.includes('/judge.')).length;
    expect(judges).toBeGreaterThan(0);
    const history = JSON.parse((await inProcess(['history', 'review-1', '--json'], env)).stdout) as { calls: { paid: number } }[];
    const show = await inProcess(['show', 'review-1'], env);
    expect(show.stdout).toContain(`model calls (${history.at(-1)?.calls.paid})`);
    expect(show.stdout).toMatch(new RegExp(`usage\\s+${source.usage.calls} calls`));
  });
});
