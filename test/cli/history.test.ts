// `harness history` and `harness fork` end to end: numbering, a fork that pays only for what follows, refusals.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/runtime/index.ts';
import type { RunRecord } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { fixture, harness, inProcess, readRun, runDir, tempDir, type Env } from './harness.ts';

let sim: Simulator;
let env: Env;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7 });
  env = { ollamaHost: sim.url, snapshots: tempDir() };
  const [first, second] = await Promise.all([
    harness(['run', fixture('two-steps.workflow.ts'), '--input', '{"question":"why?"}', '--run-id', 'src'], env),
    harness(['run', fixture('two-steps.workflow.ts'), '--input', '{"question":"how?"}', '--run-id', 'old'], env),
  ]);
  expect([first.code, second.code]).toEqual([0, 0]);
}, 60_000);
afterAll(async () => {
  await sim.close();
});

const runs = () => readdirSync(env.snapshots).sort();

/** A refusal: the exit code, one line on stderr (a usage mistake adds the --help hint), and no run created. */
async function refused(args: string[], code: number, message: RegExp): Promise<void> {
  const before = runs();
  const result = await inProcess(args, env);
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr.trim().split('\n').filter((line) => !line.startsWith("(see 'harness "))).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(runs()).toEqual(before);
}

describe('harness history and fork', { timeout: 60_000 }, () => {
  it('lists checkpoints numbered as fork takes them, as a table or JSON', async () => {
    const [plain, json] = await Promise.all([inProcess(['history', 'src'], env), inProcess(['history', 'src', '--json'], env)]);
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ +TIME +STATUS +CALLS +VERSION +STATE$/);
    const history = JSON.parse(json.stdout) as HistoryEntry[];
    expect(history.map((h) => h.seq)).toEqual(history.map((_, i) => i + 1));
    expect(lines).toHaveLength(history.length + 1);
    expect(lines[1]).toMatch(/^1 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +running +0 +[0-9a-f]{12} +first$/);
    expect(lines.at(-1)).toMatch(new RegExp(`^${history.length} +\\S+ \\S+ +done +2 +[0-9a-f]{12} +done$`));
    await refused(['history', 'nobody'], 2, /no run nobody/);
  });

  it('forks at a middle checkpoint: only the calls after it are made', async () => {
    const history = JSON.parse((await inProcess(['history', 'src', '--json'], env)).stdout) as HistoryEntry[];
    const middle = history.find((h) => h.value === 'second');
    expect(middle?.journalCount).toBe(1);
    const before = sim.stats().completed;
    const result = await harness(['fork', 'src', '--at', String(middle?.seq), '--run-id', 'f1', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout) as RunRecord;
    expect(record).toMatchObject({ runId: 'f1', status: 'done', input: { question: 'why?' } });
    expect(record.journal).toHaveLength(2);
    expect(sim.stats().completed).toBe(before + 1);
    expect((await readRun(env, 'f1')).status).toBe('done');
  });

  it('takes a context patch into the checkpoint it restores', async () => {
    const result = await harness(['fork', 'src', '--at', '1', '--run-id', 'f2', '--context-patch', '{"question":"patched"}'], env);
    expect(result.code, result.stderr).toBe(0);
    const record = await readRun(env, 'f2');
    expect(record.input).toEqual({ question: 'why?' });
    expect((record.snapshot?.['context'] as { question: string }).question).toBe('patched');
  });

  it('really uses a new input: the fork restarts from the start state, reusing only calls whose requests are unchanged', async () => {
    const history = JSON.parse((await inProcess(['history', 'src', '--json'], env)).stdout) as HistoryEntry[];
    const middle = history.find((h) => h.value === 'second');
    const before = sim.stats().completed;
    const result = await harness(['fork', 'src', '--at', String(middle?.seq), '--run-id', 'f3', '--input', '{"question":"what?"}'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/fork: the new input restarts the run from its start state; of the 1 call\(s\) journaled before checkpoint \d+, those whose requests are unchanged are reused/);
    const record = await readRun(env, 'f3');
    expect(record.input).toEqual({ question: 'what?' });
    expect(record.status).toBe('done');
    // Both prompts read the input: both calls are made anew, with it (the reused journal keeps the source's call).
    expect(record.journal.map((e) => e.messages?.at(-1)?.content)).toEqual(['first: why?', 'first: what?', 'second: what?']);
    expect(record.output).toMatchObject({ flags: [] });
    expect(sim.stats().completed).toBe(before + 2);
    await refused(['fork', 'src', '--at', '1', '--input', '{"question":"x"}', '--context-patch', '{"question":"y"}'], 2, /give the input or the context patch, not both/);
  });

  it('refuses bad input with one clear line and writes nothing', async () => {
    await refused(['fork', 'src', '--at', '999'], 2, /run src has no checkpoint 999 \(it has 1 to \d+; see harness history src\)/);
    await refused(['fork', 'src'], 2, /fork needs --at <seq>/);
    await refused(['fork', 'src', '--at', '0'], 2, /--at must be a whole number of at least 1/);
    await refused(['fork', 'src', '--at', '1', '--context-patch', '{oops'], 2, /--context-patch is not valid JSON/);
    await refused(['fork', 'src', '--at', '1', '--context-patch', '[1]'], 2, /context patch must be a JSON object/);
    await refused(['fork', 'src', '--at', '1', '--input', '{"question":""}'], 2, /input for workflow two-steps is invalid/);
    await refused(['fork', 'nobody', '--at', '1'], 2, /no run nobody/);
    const last = (JSON.parse((await inProcess(['history', 'src', '--json'], env)).stdout) as HistoryEntry[]).length;
    await refused(['fork', 'src', '--at', String(last)], 3, /checkpoint \d+ of run src is done: nothing to fork from there/);
    await refused(['fork', 'src', '--at', '1', '--run-id', 'f1'], 2, /run f1 already exists/);
  });

  it('refuses a fork of a run from before versions whose definition changed, like resume (exit 3), and writes nothing', async () => {
    // A run as written before versions: no version in its meta nor in its kept checkpoints.
    const dir = runDir(env, 'old');
    const meta = join(dir, 'run.json');
    const stored = JSON.parse(readFileSync(meta, 'utf8')) as { workflow: { hash: string; version?: string } };
    delete stored.workflow.version;
    writeFileSync(meta, JSON.stringify({ ...stored, workflow: { ...stored.workflow, hash: 'an-older-definition' } }));
    // Every `version` a history line holds (whole checkpoints and deltas alike) is dropped.
    const history = readFileSync(join(dir, 'history.ndjson'), 'utf8').trimEnd().split('\n').map((line) =>
      `${JSON.stringify(JSON.parse(line), (key, value: unknown) => (key === 'version' && typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? undefined : value))}\n`,
    );
    writeFileSync(join(dir, 'history.ndjson'), history.join(''));
    const files = readdirSync(dir).map((name) => readFileSync(join(dir, name), 'utf8'));
    await refused(['fork', 'old', '--at', '1'], 3, /workflow two-steps changed since run old started \(definition an-older-definition, now /);
    expect(readdirSync(dir).map((name) => readFileSync(join(dir, name), 'utf8'))).toEqual(files);
  });
});
