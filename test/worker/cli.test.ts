// `harness submit` and `harness worker` as real processes: several workers share one directory, SIGTERM hands runs back.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/index.ts';
import type { Simulator } from '../../src/testing/index.ts';
import { harness, inProcess, start, type Env, type Result } from '../cli/harness.ts';
import { loadWorkflow, runWorkflow } from '../../src/runtime/index.ts';
import { countingSimulator, expiringModule, removeTempDirs, stepsModule, submit, tempDir, until, untilStatus } from './helpers.ts';

const fixture = 'test/worker/fixtures/steps.workflow.ts';
const sims: Simulator[] = [];
const children: ReturnType<typeof start>[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
afterAll(removeTempDirs);

function worker(env: Env, args: string[] = []) {
  const proc = start(['worker', '--poll-ms', '100', ...args], env);
  children.push(proc);
  return proc;
}

/** `leave <id> <status>` lines of a worker's stdout. */
const leaves = (result: Result | string) =>
  [...(typeof result === 'string' ? result : result.stdout).matchAll(/^leave +(\S+) (\S+)/gm)].map((m) => ({ runId: m[1], status: m[2] }));

describe('harness submit', () => {
  it('prints the new run id and drives nothing; bad input exits 2 and writes nothing', async () => {
    const env: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() };
    const ok = await inProcess(['submit', fixture, '--input', '{"question":"q"}', '--run-id', 'sub-ok'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('sub-ok\n');
    const record = await new FileStore({ dir: env.snapshots }).read('sub-ok');
    expect(record).toMatchObject({ status: 'running', snapshot: null, activeMs: 0, input: { question: 'q' } });

    const empty: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() };
    const bad = await inProcess(['submit', fixture, '--input', '{"question":""}', '--run-id', 'sub-bad'], empty);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/input for workflow steps is invalid: question/);
    const notJson = await inProcess(['submit', fixture, '--input-file', fixture], empty);
    expect(notJson.code).toBe(2);
    expect(readdirSync(empty.snapshots)).toEqual([]);
    expect(existsSync(`${empty.snapshots}/sub-bad`)).toBe(false);
  });
});

describe('ls and show', () => {
  it('show when a waiting run next wakes, and mark it overdue once its deadline passed with no worker', async () => {
    const env: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() };
    const store = new FileStore({ dir: env.snapshots });
    const { workflow, modulePath } = await loadWorkflow(expiringModule);
    const waiting = await runWorkflow({ store, workflow, modulePath, input: {}, runId: 'due-1' });
    expect(waiting.status).toBe('waiting');
    const before = await inProcess(['ls'], env);
    expect(before.stdout).toMatch(/FLAGS +VERSION +NEXT WAKE\n/);
    expect(before.stdout).toMatch(/due-1 .* wakes \S+ \S+ \(in [\d.]+s\)/);
    await new Promise((r) => setTimeout(r, Math.max(0, (waiting.wakeAt ?? 0) - Date.now()) + 50));
    const [ls, show] = await Promise.all([inProcess(['ls'], env), inProcess(['show', 'due-1'], env)]);
    expect(ls.stdout).toMatch(/due-1 .* overdue [\d.]+s \(due /);
    expect(show.stdout).toMatch(/^next wake +overdue [\d.]+s \(due /m);
    expect((await inProcess(['ls', '--json'], env)).stdout).toContain(`"wakeAt": ${waiting.wakeAt}`);
  });
});

describe('a blocked run', { timeout: 120_000 }, () => {
  it('harness worker notes why it refuses a run; ls and show name it blocked with the reason; resume drives it once fixed', async () => {
    const { sim } = await countingSimulator();
    sims.push(sim);
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const store = new FileStore({ dir: env.snapshots });
    const module = join(tempDir(), 'flaky.workflow.mts'); // outside any package.json: .mts is an ES module to tsx
    // Its stored version needs a setting the worker's environment lacks: it fails while evaluated there.
    writeFileSync(module, `if (!process.env.FLAKY_TOKEN) throw new Error('FLAKY_TOKEN is not set');\nexport { default } from ${JSON.stringify(stepsModule)};\n`);
    process.env.FLAKY_TOKEN = 'set';
    try {
      await submit(store, module, { question: 'b' }, 'blocked-1');
    } finally {
      delete process.env.FLAKY_TOKEN;
    }

    const proc = worker(env);
    await until(async () => ((await store.read('blocked-1')).blocked ? true : undefined), 90_000);
    proc.child.kill('SIGTERM');
    const stopped = await proc.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/^refuse +blocked-1 WORKFLOW_LOAD: .*FLAKY_TOKEN is not set \(noted on the run; next try /m);

    const [ls, show, json] = await Promise.all([inProcess(['ls'], env), inProcess(['show', 'blocked-1'], env), inProcess(['ls', '--json'], env)]);
    expect(ls.stdout).toMatch(/^blocked-1 +steps +blocked /m);
    expect(ls.stdout).toMatch(/^blocked blocked-1: WORKFLOW_LOAD cannot load version .*FLAKY_TOKEN is not set \(since /m);
    expect(show.stdout).toMatch(/^status +blocked$/m);
    expect(show.stdout).toMatch(/^blocked +WORKFLOW_LOAD .*FLAKY_TOKEN is not set/m);
    expect(show.stdout).toMatch(/run blocked-1 is blocked: workers cannot drive it \(WORKFLOW_LOAD\)[^]*resume blocked-1/);
    expect(JSON.parse(json.stdout).runs[0]).toMatchObject({ status: 'running', blocked: { code: 'WORKFLOW_LOAD' } });

    const resumed = await harness(['resume', 'blocked-1'], env, { FLAKY_TOKEN: 'set' });
    expect(resumed.code, resumed.stderr).toBe(0);
    const record = await store.read('blocked-1');
    expect(record.status).toBe('done');
    expect(record.blocked).toBeUndefined();
    expect((await inProcess(['ls'], env)).stdout).toMatch(/^blocked-1 +steps +done +[^\n]*\n$/m); // no note below the table
  });
});

describe('harness worker', { timeout: 90_000 }, () => {
  it('three workers on one directory finish ten runs, each once, each call paid once', async () => {
    const { sim, prompts } = await countingSimulator({ latency: { ttftMs: 40 }, numParallel: 4 });
    sims.push(sim);
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const store = new FileStore({ dir: env.snapshots });
    const ids = Array.from({ length: 10 }, (_, i) => `job-${i}`);
    for (const id of ids) await submit(store, stepsModule, { question: id }, id);
    const workers = [worker(env), worker(env), worker(env)];
    for (const id of ids) expect((await untilStatus(store, id, ['done', 'failed', 'flagged'], 60_000)).status).toBe('done');
    // Every `leave … done` line is printed once the run is left: wait for them, then stop the workers.
    await until(() => (workers.flatMap((w) => leaves(w.stdout())).filter((l) => l.status === 'done').length >= 10 ? true : undefined));
    for (const w of workers) w.child.kill('SIGTERM');
    const results = await Promise.all(workers.map((w) => w.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const done = results.flatMap((r) => leaves(r)).filter((l) => l.status === 'done').map((l) => l.runId).sort();
    expect(done).toEqual([...ids].sort()); // each run finished by exactly one worker
    for (const id of ids) {
      const record = await store.read(id);
      expect(record.journal.map((e) => e.step).sort(), id).toEqual(['first', 'second']);
      expect(prompts.get(`first: ${id}`), id).toBe(1);
      expect(prompts.get(`second: ${id}`), id).toBe(1);
    }
    expect(sim.stats().completed).toBe(20);
  });

  it('SIGTERM in the middle leaves its runs resumable, and another worker finishes them', async () => {
    const { sim, prompts } = await countingSimulator({ latency: { ttftMs: 400 }, numParallel: 4 });
    sims.push(sim);
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const store = new FileStore({ dir: env.snapshots });
    const ids = ['t-1', 't-2', 't-3'];
    for (const id of ids) await submit(store, stepsModule, { question: id }, id);
    const first = worker(env, ['--concurrency', '3']);
    await until(() => ((first.stdout().match(/^take /gm) ?? []).length === 3 ? true : undefined), 30_000);
    first.child.kill('SIGTERM');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(0);
    for (const id of ids) expect(['running', 'done']).toContain((await store.read(id)).status);
    expect(leaves(stopped).some((l) => l.status === 'running')).toBe(true);

    const second = worker(env);
    for (const id of ids) expect((await untilStatus(store, id, ['done', 'failed', 'flagged'], 60_000)).status).toBe('done');
    second.child.kill('SIGTERM');
    expect((await second.done).code).toBe(0);
    expect(prompts.size).toBe(6);
    expect([...prompts.values()].every((n) => n === 1)).toBe(true);
  });
});
