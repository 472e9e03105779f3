import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { fixture, harness, inProcess, readRun, tempDir, type Env } from './harness.ts';
import { filesUnder } from '../helpers/files.ts';
import { useSimulators } from '../helpers/simulators.ts';

let sim: Simulator;
let env: Env;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7 });
  env = { ollamaHost: sim.url, snapshots: tempDir() };
});
afterAll(async () => {
  await sim.close();
});
// A test that needs its own scripted server starts it here; the shared one above lives for the whole file.
const simulator = useSimulators();

describe('harness run, ls and show', { timeout: 90_000 }, () => {
  it('runs a workflow to done (exit 0, run written to the store); --json prints only the record', async () => {
    const [plain, json] = await Promise.all([
      harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"why is the sky blue?"}', '--run-id', 'q1'], env),
      harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"and the sea?"}', '--json'], env),
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/call ask {2}qwen2\.5-coder:7b {2}attempt 1 {2}ok/);
    expect(plain.stdout).toMatch(/^done {2}run q1$/m);
    expect(plain.stdout).toMatch(/^calls 1 {2}tokens \d+ in \/ \d+ out {2}time /m);
    expect(plain.stdout).not.toContain('\x1b');
    const written = await readRun(env, 'q1');
    expect(written.status).toBe('done');
    expect((written.output as { answer: { answer: string } }).answer.answer.length).toBeGreaterThan(0);

    expect(json.code).toBe(0);
    const record = JSON.parse(json.stdout) as RunRecord;
    expect(record.status).toBe('done');
    expect(record.journal).toHaveLength(1);
    expect((await readRun(env, record.runId)).status).toBe('done');
    expect(json.stderr).toContain('call ask'); // the live view moved to stderr
  });

  it('lists runs newest first and shows one with its model calls', async () => {
    const [ls, show] = await Promise.all([harness(['ls'], env), harness(['show', 'q1'], env)]);
    const lsJson = await inProcess(['ls', '--json'], env);
    const showJson = await inProcess(['show', 'q1', '--json'], env);
    expect(ls.code).toBe(0);
    const lines = ls.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +WORKFLOW +STATUS +STARTED +ELAPSED +TOKENS +CALLS +FLAGS +VERSION$/);
    expect(lines).toHaveLength(3);
    expect(ls.stdout).toMatch(/^q1 +quick +done +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\S+ +\d+ +1 +- +[0-9a-f]{12}$/m);

    const listed = JSON.parse(lsJson.stdout) as { runs: { runId: string; status: string }[]; unreadable: unknown[] };
    expect(listed.runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(listed.runs.map((r) => r.runId)).toContain('q1');
    expect(listed.unreadable).toEqual([]);

    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^status +done$/m);
    expect(show.stdout).toMatch(/^workflow +quick {2}\(test\/cli\/fixtures\/quick\.workflow\.ts\)$/m);
    expect(show.stdout).toContain('model calls (1)');
    expect(show.stdout).toMatch(/STEP +MODEL +ATTEMPT +RESULT +SCORE +TOKENS +PROMPT\/CTX +TTFT +DURATION/);
    // PROMPT/CTX: the tokens the host evaluated against the num_ctx the call asked for.
    expect(show.stdout).toMatch(/^ {2}ask +qwen2\.5-coder:7b +1 +ok +- +\d+\/\d+ +\d+\/4096 +\S+s +\S+s$/m);
    expect(show.stdout).toMatch(/^output$/m);
    expect((JSON.parse(showJson.stdout) as RunRecord).runId).toBe('q1');
  });
});

describe('a run that waits for a person', { timeout: 90_000 }, () => {
  it('prints how to continue, refuses a payload its wait does not declare, then takes APPROVE with its fields and finishes', async () => {
    const run = await harness(['run', fixture('approval.workflow.ts'), '--run-id', 'a1'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^waiting {2}run a1$/m);
    expect(run.stdout).toContain("  harness send a1 APPROVE --data '{}'");
    expect(run.stdout).toContain("  harness send a1 REJECT --data '{}'");
    expect((await readRun(env, 'a1')).status).toBe('waiting');

    const wrong = await inProcess(['send', 'a1', 'PUBLISH'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('it accepts: APPROVE, REJECT');

    // A payload that fails the schema the wait declared: refused with its issue, exit 2, not a byte of the run changed.
    const before = filesUnder(env.snapshots);
    const invalid = await harness(['send', 'a1', 'APPROVE', '--data', '{"reviewer":7}'], env);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^harness: run a1 refuses APPROVE: its payload does not match what state review declared \(reviewer: .*\)\n$/);
    expect(filesUnder(env.snapshots)).toEqual(before);

    const send = await harness(['send', 'a1', 'APPROVE', '--data', '{"reviewer":"ada"}'], env);
    expect(send.code).toBe(0);
    expect(send.stdout).toMatch(/^done {2}run a1$/m);
    const record = await readRun(env, 'a1');
    expect(record.status).toBe('done');
    expect(record.output).toEqual(expect.objectContaining({ decision: { type: 'APPROVE', reviewer: 'ada' } }));
    expect(record.usage.calls).toBe(1);

    const again = await inProcess(['send', 'a1', 'APPROVE'], env);
    expect(again.code).toBe(3);
    expect(again.stderr).toBe('harness: run a1 is already done; nothing to resume\n');
  });

  it('cancels a waiting run for good; --snapshots wins over the environment and is repeated in the hints', async () => {
    const dir = tempDir();
    const run = await harness(['run', fixture('approval.workflow.ts'), '--run-id', 'c1', '--snapshots', dir], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`harness send c1 APPROVE --snapshots ${dir} --data '{}'`);
    // The run lives in a directory of its own under --snapshots, and nowhere under $HARNESS_SNAPSHOTS.
    expect(existsSync(join(dir, 'c1', 'run.json'))).toBe(true);
    expect(existsSync(join(dir, 'c1', 'checkpoint.json'))).toBe(true);
    expect((await readRun({ ...env, snapshots: dir }, 'c1')).status).toBe('waiting');
    expect(existsSync(join(env.snapshots, 'c1'))).toBe(false);
    expect(existsSync(join(env.snapshots, 'c1.json'))).toBe(false);

    const cancel = await harness(['cancel', 'c1', '--snapshots', dir], env);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toBe('cancelled run c1 (it was waiting)\n');
    const resume = await inProcess(['resume', 'c1', '--snapshots', dir], env);
    const show = await inProcess(['show', 'c1', '--snapshots', dir], env);
    expect(resume.code).toBe(3);
    expect(resume.stderr).toContain('run c1 is already cancelled');
    expect(show.stdout).toMatch(/^status +cancelled$/m);
  });
});

describe('a run that is flagged', { timeout: 90_000 }, () => {
  it('exits 1, prints the flag, and show lists every failed attempt with the reasons', async () => {
    // A model that never answers in JSON: every attempt on every model of the ladder is invalid output.
    const stubborn = await simulator({ seed: 1, script: { '*': () => 'I would rather not answer in JSON.' } });
    const flaggedEnv: Env = { ...env, ollamaHost: stubborn.url };
    const run = await harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}', '--run-id', 'f1'], flaggedEnv);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^flagged {2}run f1$/m);
    expect(run.stdout).toContain('flag    ask: ladder exhausted after 4 attempt(s) (last: ');

    const show = await inProcess(['show', 'f1'], flaggedEnv);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('model calls (4)');
    const rows = show.stdout.split('\n').filter((line) => /^ {2}ask +qwen/.test(line));
    expect(rows.map((row) => row.trim().split(/ +/).slice(1, 4))).toEqual([
      ['qwen2.5-coder:7b', '1', 'invalid-output'],
      ['qwen2.5-coder:7b', '2', 'invalid-output'],
      ['qwen2.5-coder:32b', '1', 'invalid-output'],
      ['qwen2.5-coder:32b', '2', 'invalid-output'],
    ]);
    expect(show.stdout).toMatch(/^flags \(1\)\n {2}ask: ladder exhausted after 4 attempt\(s\) \(last: .*\)\n {2}why ask:\n {4}- ladder exhausted/m);
  });
});
