import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { fixture, harness, inProcess, readRun, runDir, tempDir, type Env, type Result } from './harness.ts';

let sim: Simulator;
let env: Env;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11 });
  env = { ollamaHost: sim.url, snapshots: tempDir() };
});
afterAll(async () => {
  await sim.close();
});

/** Every file of a run's directory but its lock, with its bytes: what a refusal must leave as it was. */
function runFiles(env: Env, runId: string): Record<string, string> {
  const dir = runDir(env, runId);
  return Object.fromEntries(readdirSync(dir).filter((name) => name !== 'lock').sort().map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function refused(result: Result, code: number, message: string | RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(typeof message === 'string' ? new RegExp(`^harness: ${escape(message)}`) : message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user's mistake
}

describe('bad input and unknown runs: exit 2, nothing written', { timeout: 90_000 }, () => {
  it('refuses bad input JSON and an unknown run (spawned)', async () => {
    const fresh: Env = { ...env, snapshots: join(tempDir(), 'runs') };
    const [badJson, notFound] = await Promise.all([
      harness(['run', fixture('quick.workflow.ts'), '--input', '{"question": '], fresh),
      harness(['resume', 'nope'], fresh),
    ]);
    refused(badJson, 2, '--input is not valid JSON');
    refused(notFound, 2, `no run nope in ${fresh.snapshots}`);
    expect(existsSync(fresh.snapshots)).toBe(false);
  });

  it('refuses input failing the schema, a missing workflow or input file, a bad run id and unknown runs', async () => {
    const fresh: Env = { ...env, snapshots: join(tempDir(), 'runs') };
    const quick = fixture('quick.workflow.ts');
    refused(await inProcess(['run', quick, '--input', '{"question":""}'], fresh), 2, 'input for workflow quick is invalid: question:');
    refused(await inProcess(['run', quick, '--input', 'no-such-input.json'], fresh), 2, '--input file not found: no-such-input.json');
    refused(await inProcess(['run', 'test/cli/fixtures/no-such.workflow.ts'], fresh), 2, 'workflow file not found: test/cli/fixtures/no-such.workflow.ts');
    refused(await inProcess(['run', quick, '--input', '{"question":"q"}', '--run-id', '../escape'], fresh), 2, 'invalid run id "../escape"');
    refused(await inProcess(['show', '../../etc/passwd'], fresh), 2, 'invalid run id');
    for (const argv of [['show', 'nope'], ['send', 'nope', 'APPROVE'], ['cancel', 'nope']]) {
      refused(await inProcess(argv, fresh), 2, 'no run nope in');
    }
    // Nothing was written for any of them: not even the snapshots directory.
    expect(existsSync(fresh.snapshots)).toBe(false);
    expect(existsSync(join(fresh.snapshots, '..', 'escape'))).toBe(false);
    expect(existsSync(join(fresh.snapshots, '..', 'escape.json'))).toBe(false);
  });
});

describe('refusals: exit 3, files untouched', { timeout: 90_000 }, () => {
  it('refuses a corrupt first-release run file and never rewrites it; ls lists it as unreadable', async () => {
    const path = join(env.snapshots, 'broken.json');
    const bytes = '{"format":1,"runId":"broken","status":"runn';
    writeFileSync(path, bytes);
    const corrupt = /^harness: .*broken\.json is not valid JSON; it was left untouched\n$/;
    refused(await harness(['resume', 'broken'], env), 3, corrupt);
    for (const argv of [['show', 'broken'], ['send', 'broken', 'APPROVE'], ['cancel', 'broken']]) refused(await inProcess(argv, env), 3, corrupt);
    const ls = await inProcess(['ls'], env);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^unreadable broken\.json: .*broken\.json is not valid JSON/m);
    expect(readFileSync(path, 'utf8')).toBe(bytes);
    expect(existsSync(join(env.snapshots, 'broken'))).toBe(false); // not converted: nothing was written
    rmSync(path);
  });

  it('refuses a run whose checkpoint is damaged and never rewrites it; ls lists it as unreadable', async () => {
    const run = await harness(['run', fixture('approval.workflow.ts'), '--run-id', 'damaged1'], env);
    expect(run.code).toBe(0);
    const checkpoint = join(runDir(env, 'damaged1'), 'checkpoint.json');
    const bytes = '{"status":"wait';
    writeFileSync(checkpoint, bytes);
    const before = runFiles(env, 'damaged1');
    const corrupt = /^harness: .*damaged1\/checkpoint\.json is not valid JSON; it was left untouched\n$/;
    refused(await harness(['resume', 'damaged1'], env), 3, corrupt);
    for (const argv of [['show', 'damaged1'], ['send', 'damaged1', 'APPROVE'], ['cancel', 'damaged1']]) refused(await inProcess(argv, env), 3, corrupt);
    const ls = await inProcess(['ls'], env);
    expect(ls.stdout).toMatch(/^unreadable damaged1\/: .*checkpoint\.json is not valid JSON/m);
    expect(runFiles(env, 'damaged1')).toEqual(before);
    rmSync(runDir(env, 'damaged1'), { recursive: true });
  });

  it('refuses to drive a run whose journal was emptied or cut short of its last checkpoint, and never rewrites it', async () => {
    const run = await harness(['run', fixture('approval.workflow.ts'), '--run-id', 'cut1'], env);
    expect(run.code).toBe(0);
    const journal = join(runDir(env, 'cut1'), 'journal.ndjson');
    const whole = readFileSync(journal, 'utf8');
    const lines = whole.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    const cut = /^harness: run cut1: its journal \(.*journal\.ndjson\) holds \d+ calls? but checkpoint \d+ was written when it held \d+: it was emptied or cut, .*left untouched .*\n$/;
    // Emptied, then cut at a line boundary (the last complete line gone).
    for (const damaged of ['', lines.slice(0, -1).map((line) => `${line}\n`).join('')]) {
      writeFileSync(journal, damaged);
      const before = runFiles(env, 'cut1');
      const epoch = (await readRun(env, 'cut1')).epoch;
      refused(await harness(['resume', 'cut1'], env), 3, cut);
      refused(await inProcess(['send', 'cut1', 'APPROVE'], env), 3, cut);
      expect(runFiles(env, 'cut1')).toEqual(before); // not a byte: not the epoch, not a torn tail
      expect((await readRun(env, 'cut1')).epoch).toBe(epoch);
    }
    // A torn last line is a write that never completed: still accepted, as it always was.
    writeFileSync(journal, `${whole}{"key":"torn`);
    const resumed = await harness(['send', 'cut1', 'APPROVE'], env);
    expect(resumed.code).toBe(0);
    expect((await readRun(env, 'cut1')).status).toBe('done');
  });

  it('refuses to drive a run whose lock a live process holds, and takes it once the lock is gone', async () => {
    const run = await harness(['run', fixture('approval.workflow.ts'), '--run-id', 'locked1'], env);
    expect(run.code).toBe(0);
    const before = runFiles(env, 'locked1');
    const epoch = (await readRun(env, 'locked1')).epoch;
    // This test process is alive and is not the CLI's process: to the CLI the lock is held.
    const lock = join(runDir(env, 'locked1'), 'lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, hostname: hostname(), acquiredAt: new Date().toISOString() }));

    refused(await harness(['resume', 'locked1'], env), 3, `run locked1 is being driven by process ${process.pid}`);
    refused(await inProcess(['send', 'locked1', 'APPROVE'], env), 3, `run locked1 is being driven by process ${process.pid}`);
    expect(runFiles(env, 'locked1')).toEqual(before); // not even the epoch was bumped
    expect((await readRun(env, 'locked1')).epoch).toBe(epoch);

    rmSync(lock);
    const after = await harness(['send', 'locked1', 'APPROVE'], env);
    expect(after.code).toBe(0);
    const done = await readRun(env, 'locked1');
    expect(done.status).toBe('done');
    expect(done.epoch).toBe(epoch + 1);
  });
});

describe('unexpected errors', { timeout: 90_000 }, () => {
  it('print "harness: internal error: <message>" and exit 1, with the stack only under HARNESS_DEBUG=1', async () => {
    // A run file that is a directory: not a mistake the CLI anticipates (a bad --snapshots is refused as usage).
    const snapshots = tempDir();
    mkdirSync(join(snapshots, 'odd.json'));
    const quiet = await harness(['show', 'odd', '--snapshots', snapshots], env);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toBe('harness: internal error: EISDIR: illegal operation on a directory, read\n');
    const debug = await inProcess(['show', 'odd', '--snapshots', snapshots], env, { HARNESS_DEBUG: '1' });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^harness: internal error: EISDIR[^\n]*\nError: EISDIR[^\n]*\n\s+at /);
  });
});
