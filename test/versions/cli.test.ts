// Versions across processes: a worker with no source files drives runs from PostgreSQL; `submit` refuses what a version cannot hold.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/runtime/load.ts';
import { submitRun } from '../../src/runtime/runs.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { startSimulator } from '../../src/testing/index.ts';
import { inProcess, repoRoot } from '../cli/harness.ts';
import { dropSchema, freshSchema, localPostgresUrl } from '../helpers/postgres.ts';
import { until } from '../worker/helpers.ts';
import { writeToneModule } from './module.ts';

const dirs: string[] = [];
const temp = () => {
  const made = mkdtempSync(join(tmpdir(), 'harness-versions-cli-'));
  dirs.push(made);
  return made;
};
afterAll(() => {
  for (const made of dirs) rmSync(made, { recursive: true, force: true });
});

describe('versions across processes', { timeout: 120_000 }, () => {
  it('a worker in another directory, with no source files, drives a submitted run from PostgreSQL', async () => {
    const prompts: string[] = [];
    const sim = await startSimulator({
      script: {
        '*': (req) => {
          const prompt = req.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
          prompts.push(prompt);
          return JSON.stringify({ answer: `re ${prompt}` });
        },
      },
    });
    const schema = freshSchema();
    const url = `${localPostgresUrl}?schema=${schema}`;
    const store = await PostgresStore.connect(localPostgresUrl, { schema });
    const sources = temp();
    try {
      const file = join(sources, 'remote.workflow.mts');
      writeToneModule(file, { tone: 'stored', waitState: null });
      const loaded = await loadWorkflow(file);
      await submitRun({ store, ...loaded, input: { question: 'far away' }, runId: 'remote-1' });
      rmSync(sources, { recursive: true, force: true }); // the worker's machine has none of the sources

      const elsewhere = temp();
      const child = spawn(process.execPath, [join(repoRoot, 'bin/harness.js'), 'worker', '--store', url, '--poll-ms', '100'], {
        cwd: elsewhere,
        env: { ...process.env, OLLAMA_HOST: sim.url, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      try {
        const done = await until(async () => {
          const record = await store.read('remote-1');
          return record.status === 'done' ? record : undefined;
        }, 90_000).catch((error: unknown) => {
          throw new Error(`${String(error)}; worker said: ${output}`);
        });
        expect(done.output).toEqual({ answers: ['re stored ask: far away', 're stored answer: far away'] });
        expect(prompts).toEqual(['stored ask: far away', 'stored answer: far away']);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    } finally {
      await store.end();
      await dropSchema(localPostgresUrl, schema);
      await sim.close();
    }
  });

  it('harness submit refuses a workflow a stored version cannot hold, exit 2, nothing written', async () => {
    const env = { ollamaHost: 'http://127.0.0.1:9', snapshots: temp() };
    const file = join(temp(), 'beside.workflow.mts');
    writeToneModule(file, { tone: 'x', prelude: "import { readFileSync } from 'node:fs';\nexport const notes = () => readFileSync(new URL('./notes.txt', import.meta.url), 'utf8');" });
    const refused = await inProcess(['submit', file, '--input', '{"question":"q"}', '--skip-model-check'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot be stored as a version: its code uses import\.meta\.url/);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    const listed = await inProcess(['ls', '--json'], env);
    expect(JSON.parse(listed.stdout).runs).toEqual([]);
  });
});
