// Crash test: a run in a child process is SIGKILLed at seeded random points and resumed until it ends; its output must
// equal an uninterrupted run's, and no completed model call may be paid again unless the kill caught it in flight.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostPool } from '../../src/llm/pool.ts';
import { loadWorkflow, runWorkflow, sendToRun, statePaths } from '../../src/runtime/index.ts';
import { FileStore, finalStatuses, type RunRecord, type RunStatus, type StoredJournalEntry } from '../../src/store/index.ts';
import { isCallEntry } from '../../src/steps/services.ts';
import { startSimulator, type CompletedRequest, type Simulator } from '../../src/testing/index.ts';
import { createRandom } from '../../src/util/random.ts';
import { crashModel, unknownPrompts } from './fixtures/crash-model.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const fixtureModule = fileURLToPath(new URL('./fixtures/crash-workflow.ts', import.meta.url));
const featurePipeline = join(projectRoot, 'machines/feature-pipeline.ts');
const runId = 'crash-run';
/** Override to soak the test with other kill schedules: CRASH_SEED=… npx vitest run test/runtime/crash.test.ts */
const seed = Number(process.env.CRASH_SEED ?? 20261124);

// ---------------------------------------------------------------------------------------------------------------
// Child processes and the run file as seen from outside.

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

interface Child {
  alive(): boolean;
  kill(): void;
  exited: Promise<Exit>;
}

/** A hung child is a failure to report, not a test timeout: it is killed and its stderr shown. */
const childLimitMs = 60_000;
/** Children still running when a test fails are killed in afterAll. */
const running = new Set<Child>();

function startChild(sim: Simulator, args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', childScript, ...args], {
    cwd: projectRoot,
    env: { ...process.env, OLLAMA_HOST: sim.url, HARNESS_HOST_CONCURRENCY: '2', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let done = false;
  let hung = false;
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const watchdog = setTimeout(() => {
    hung = true;
    proc.kill('SIGKILL');
  }, childLimitMs);
  const exited = new Promise<Exit>((resolve, reject) => {
    proc.once('exit', (code, signal) => {
      done = true;
      clearTimeout(watchdog);
      if (hung) reject(new Error(`child ${args.join(' ')} still running after ${childLimitMs} ms:\n${stderr}`));
      else resolve({ code, signal, stderr });
    });
  });
  const child: Child = { alive: () => !done, kill: () => proc.kill('SIGKILL'), exited };
  running.add(child);
  void exited.finally(() => running.delete(child)).catch(() => undefined);
  return child;
}

let peeked: { stamp: string; record: RunRecord | null } | undefined;

/**
 * The run as the test polls it, read from its files by the store (the latest checkpoint is the history's last whole
 * line, the journal its complete lines); null before the run exists. Read again only when a file changed, since
 * polling shares this process with the simulator.
 */
async function peek(dir: string): Promise<RunRecord | null> {
  const runDir = join(dir, runId);
  const stamps = ['run.json', 'history.ndjson', 'checkpoint.json', 'journal.ndjson'].map((file) => {
    const path = join(runDir, file);
    if (!existsSync(path)) return '-';
    const { mtimeMs, size, ino } = statSync(path);
    return `${mtimeMs}:${size}:${ino}`;
  });
  const stamp = stamps.join('|');
  if (peeked?.stamp === stamp) return peeked.record;
  const record = stamps[0] === '-' ? null : await new FileStore({ dir }).read(runId).catch(() => null);
  peeked = { stamp, record };
  return record;
}

interface PersistedNode {
  value?: unknown;
  status?: string;
  children?: Record<string, { snapshot?: PersistedNode }>;
}

/** Root state paths, then each active child machine's, however deep (`work/work.1/implement: attempting`). */
function describeStates(record: RunRecord | null): string[] {
  const snapshot = record?.snapshot as PersistedNode | null | undefined;
  if (!snapshot) return ['(no checkpoint yet)'];
  const nested = (node: PersistedNode, prefix: string): string[] =>
    Object.entries(node.children ?? {}).flatMap(([id, child]) => {
      const inner = child.snapshot;
      if (inner?.status !== 'active' || inner.value === undefined) return [];
      return [`${prefix}${id}: ${statePaths(inner.value).join(', ')}`, ...nested(inner, `${prefix}${id}/`)];
    });
  return [...statePaths(snapshot.value), ...nested(snapshot, '')];
}

const topStates = ['planning', 'working', 'reviewing', 'awaitingApproval', 'finishing', 'done'] as const;

function stageOf(record: RunRecord | null): number {
  const top = describeStates(record)[0]?.split('.')[0] ?? '';
  const index = topStates.indexOf(top as (typeof topStates)[number]);
  return index < 0 ? 0 : index;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------
// Kill schedule: one kill per phase of the pipeline, each a seeded random time after the phase is reached, plus one
// the child inflicts on itself right after a paid call is journaled (random kills almost never hit that window).

type Phase = 'planning' | 'working' | 'reviewing' | 'backoff' | 'waiting' | 'finishing';

type KillPlan = { phase: Phase; extraMs: number } | { phase: 'journaled'; afterCalls: number } | { phase: 'appending'; atAppend: number };

const stageOfPhase: Record<Phase, number> = { planning: 0, working: 1, reviewing: 2, backoff: 2, waiting: 3, finishing: 4 };

/** Extra delays are kept below each phase's length (a call lasts ~230 ms), so the kills land where planned. */
function killPlans(random: () => number): KillPlan[] {
  const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));
  const timed: KillPlan[] = [
    { phase: 'planning', extraMs: between(0, 120) },
    { phase: 'working', extraMs: between(0, 600) },
    { phase: 'reviewing', extraMs: between(0, 200) },
    { phase: 'waiting', extraMs: between(0, 150) },
  ];
  if (random() < 0.5) {
    const extra = (['working', 'backoff', 'finishing'] as const)[Math.floor(random() * 3)] ?? 'working';
    timed.push({ phase: extra, extraMs: between(0, 100) });
  }
  timed.sort((a, b) => stageOfPhase[a.phase as Phase] - stageOfPhase[b.phase as Phase]);
  // The self-inflicted kills go to the process after the planning kill, or the one after the fan-out kill: one right
  // after a call is journaled, one in the middle of a journal append.
  const position = random() < 0.5 ? 1 : 2;
  const selfInflicted: KillPlan[] = [{ phase: 'journaled', afterCalls: between(1, 3) }, { phase: 'appending', atAppend: between(1, 3) }];
  if (random() < 0.5) selfInflicted.reverse();
  return [...timed.slice(0, position), ...selfInflicted, ...timed.slice(position)];
}

/**
 * The kill may fire: this segment's child has taken the run (or created it), the run is in the planned phase and,
 * except for the approval, the child has made a model request (so the kill does not just cut its start-up short).
 */
function ready(phase: Phase, record: RunRecord | null, mode: Mode, epochBefore: number, requested: boolean): boolean {
  if (!record || (mode !== 'run' && record.epoch <= epochBefore)) return false;
  const states = describeStates(record);
  const top = states[0]?.split('.')[0];
  if (phase !== 'waiting' && !requested) return false;
  switch (phase) {
    case 'waiting':
      return mode === 'send';
    case 'backoff':
      return states.some((path) => path.endsWith('backingOff'));
    default:
      return top === phase;
  }
}

type Mode = 'run' | 'resume' | 'send';

interface Kill {
  plan: string;
  spawnAt: number;
  /** When the test killed the child, or saw it dead (self-inflicted kill): every request it sent came before. */
  at: number;
  /** Length of the simulator's completed-request log at `at`. */
  logLength: number;
  inFlight: number;
  queued: number;
  status: RunStatus | 'no run file';
  states: string[];
  journalBefore: StoredJournalEntry[];
  journalAfter: StoredJournalEntry[];
}

interface Outcome {
  record: RunRecord;
  kills: Kill[];
  segments: string[];
}

const describePlan = (plan: KillPlan) =>
  plan.phase === 'journaled'
    ? `journaled after ${plan.afterCalls} call(s)`
    : plan.phase === 'appending'
      ? `inside journal append ${plan.atAppend}`
      : `${plan.phase} +${plan.extraMs} ms`;

const selfInflicted = (plan: KillPlan | undefined): plan is Extract<KillPlan, { phase: 'journaled' | 'appending' }> =>
  plan?.phase === 'journaled' || plan?.phase === 'appending';

/** Runs the workflow to its end in child processes, approving when it waits and killing it as `plans` say. */
async function driveToEnd(sim: Simulator, dir: string, module: string, input: unknown, plans: KillPlan[]): Promise<Outcome> {
  const kills: Kill[] = [];
  const segments: string[] = [];
  let next = 0;
  for (let segment = 0; segment < 20; segment++) {
    const before = await peek(dir);
    if (before && finalStatuses.includes(before.status)) return { record: await new FileStore({ dir }).read(runId), kills, segments };
    const mode: Mode = !before ? 'run' : before.status === 'waiting' ? 'send' : 'resume';
    // A timed plan whose phase the run has left can no longer be hit.
    for (let plan = plans[next]; plan && !selfInflicted(plan) && stageOf(before) > stageOfPhase[plan.phase]; plan = plans[++next]) {
      console.info(`  (kill planned in ${plan.phase} skipped: the run is past it)`);
    }
    const plan = plans[next];
    const args = mode === 'run' ? [module, JSON.stringify(input)] : mode === 'send' ? ['APPROVE'] : [];
    const spawnAt = Date.now();
    const requestsBefore = sim.stats().requests;
    const env: Record<string, string> =
      plan?.phase === 'journaled' ? { CRASH_AFTER_CALLS: String(plan.afterCalls) } : plan?.phase === 'appending' ? { CRASH_IN_APPEND: String(plan.atAppend) } : {};
    const child = startChild(sim, [mode, dir, runId, ...args], env);
    segments.push(mode);

    let killed = false;
    if (plan && !selfInflicted(plan)) {
      const epochBefore = before?.epoch ?? 0;
      const requested = () => sim.stats().requests > requestsBefore;
      while (child.alive() && !ready(plan.phase, await peek(dir), mode, epochBefore, requested())) await sleep(10);
      const until = Date.now() + plan.extraMs;
      while (child.alive() && Date.now() < until) await sleep(Math.min(5, until - Date.now()));
      killed = child.alive();
    }
    // Read in the same tick as the kill (the simulator runs in this process, so nothing moves in between), or once
    // the child is seen dead: all its requests came before.
    if (!killed) await child.exited;
    const at = Date.now();
    const logLength = sim.log().length;
    const { inFlight, queued } = sim.stats();
    if (killed) child.kill();
    const exit = await child.exited;
    if (plan && (killed || (selfInflicted(plan) && exit.signal === 'SIGKILL'))) {
      const after = await peek(dir);
      const kill: Kill = {
        plan: describePlan(plan),
        spawnAt,
        at,
        logLength,
        inFlight,
        queued,
        status: after?.status ?? 'no run file',
        states: describeStates(after),
        journalBefore: before?.journal ?? [],
        journalAfter: after?.journal ?? [],
      };
      kills.push(kill);
      next++;
      console.info(
        `  kill ${kills.length} (${mode} process, ${at - spawnAt} ms after spawn; planned: ${kill.plan}): run ${kill.status} in ` +
          `[${kill.states.join(' | ')}]; simulator inFlight ${inFlight}, queued ${queued}; ` +
          `journal ${kill.journalBefore.length} → ${kill.journalAfter.length}`,
      );
      continue;
    }
    expect(exit.code, `${mode} child failed:\n${exit.stderr}`).toBe(0);
  }
  throw new Error('the run did not end within 20 processes');
}

// ---------------------------------------------------------------------------------------------------------------
// Accounting: which completed requests a kill may legitimately cause to be paid again.

/** Body hash (simulator log) → request hash (journal), from the pairs every child wrote before sending. */
function requestMap(dir: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const line of readFileSync(join(dir, 'requests.ndjson'), 'utf8').split('\n')) {
    if (line === '') continue;
    const { body, request } = JSON.parse(line) as { body: number; request: string };
    const known = map.get(body);
    if (known !== undefined && known !== request) throw new Error(`body ${body} paired with ${known} and ${request}`);
    map.set(body, request);
  }
  return map;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** A journal entry for which the model answered in full (a done line arrived): one completed request. */
const completedEntry = (entry: StoredJournalEntry) => (entry.result.metadata as { doneReason?: string }).doneReason !== undefined;

/**
 * Requests kill `k` may have cost twice, by request hash: those the simulator finished before the kill whose result
 * did not reach the run file, and those it finished after the kill (replies written to a dead process).
 */
function repeatableAt(kill: Kill, log: readonly CompletedRequest[], hashOf: (entry: CompletedRequest) => string): Map<string, number> {
  const fromThisChild = (entry: CompletedRequest) => entry.receivedAt > kill.spawnAt && entry.receivedAt <= kill.at;
  const finishedBefore = countBy(log.slice(0, kill.logLength).filter(fromThisChild), hashOf);
  const finishedAfter = countBy(log.slice(kill.logLength).filter(fromThisChild), hashOf);
  // The journal only grows: what this child added is what follows the entries it found.
  const added = kill.journalAfter.slice(kill.journalBefore.length);
  const journaled = countBy(added.filter(completedEntry), (entry) => entry.requestHash);
  const repeatable = new Map<string, number>();
  for (const [hash, finished] of finishedBefore) {
    const lost = finished - (journaled.get(hash) ?? 0);
    if (lost > 0) repeatable.set(hash, lost);
  }
  for (const [hash, finished] of finishedAfter) repeatable.set(hash, (repeatable.get(hash) ?? 0) + finished);
  return repeatable;
}

/** Keys of the calls the children answered from the journal after a restart (noted by each child as it replayed). */
function replayedKeys(dir: string): string[] {
  const path = join(dir, 'replays.ndjson');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { key: string }).key);
}

function journalKeysAreUnique(record: RunRecord): void {
  const keys = record.journal.map((entry) => entry.key);
  expect(keys.length, 'journal has duplicate keys').toBe(new Set(keys).size);
}

// ---------------------------------------------------------------------------------------------------------------

interface CrashCase {
  name: string;
  module: string;
  input: unknown;
}

let sim: Simulator;
const dirs: string[] = [];
const hostBefore = process.env.OLLAMA_HOST;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, latency: { ttftMs: 30, perTokenMs: 5 }, numParallel: 2, script: { '*': crashModel } });
  process.env.OLLAMA_HOST = sim.url; // for the uninterrupted run in this process; children get it explicitly
});

afterAll(async () => {
  for (const child of running) child.kill();
  await Promise.allSettled([...running].map((child) => child.exited));
  if (hostBefore === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = hostBefore;
  await sim.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The uninterrupted run, in this process: run until it waits, then APPROVE. */
async function uninterrupted(dir: string, module: string, input: unknown): Promise<RunRecord> {
  const store = new FileStore({ dir });
  const { workflow, modulePath } = await loadWorkflow(module);
  const limiter = new HostPool(2);
  const waiting = await runWorkflow({ store, workflow, modulePath, input, runId, limiter, seed: 7 });
  expect(unknownPrompts, 'the scripted model does not know these prompts').toEqual([]);
  expect(waiting.status, `flags: ${waiting.flags.join('; ')}`).toBe('waiting');
  return sendToRun({ store, runId, workflow, event: { type: 'APPROVE' }, limiter });
}

async function crashCase({ name, module, input }: CrashCase): Promise<void> {
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-crash-'));
    dirs.push(dir);
    return dir;
  };

  sim.reset();
  const baseline = await uninterrupted(tempDir(), module, input);
  const baselineLog = sim.log();
  expect(unknownPrompts, 'the scripted model does not know these prompts').toEqual([]);
  expect(baseline.status).toBe('done');

  sim.reset();
  const plans = killPlans(createRandom(seed));
  console.info(`${name}: seed ${seed}, kills planned: ${plans.map(describePlan).join(', ')}`);
  const crashDir = tempDir();
  const started = Date.now();
  const crashed = await driveToEnd(sim, crashDir, module, input, plans);
  const crashLog = sim.log();
  const { record, kills } = crashed;
  console.info(`${name}: ${kills.length} kills in ${Date.now() - started} ms, processes: ${crashed.segments.join(' → ')}`);

  // The contract: same output as the uninterrupted run.
  expect(record.status).toBe('done');
  expect(record.output).toEqual(baseline.output);
  expect(kills.length).toBeGreaterThanOrEqual(3);
  journalKeysAreUnique(baseline);
  journalKeysAreUnique(record);
  // Every call of the crashed run is one the baseline made too (a kill may save a retry, never add one). Keys hold
  // a random pass id per entry of a step, so the two runs are compared by request.
  const baselineRequests = new Set(baseline.journal.map((entry) => entry.requestHash));
  expect(record.journal.filter((entry) => !baselineRequests.has(entry.requestHash)).map((entry) => entry.key)).toEqual([]);

  // Completed requests, named by their journal request hash (the children paired each body they sent with it).
  const pairs = requestMap(crashDir);
  const pairedHashes = new Set(pairs.values());
  // A fan-out item's kept output is journaled too, but it is no request.
  for (const entry of record.journal.filter(isCallEntry)) expect(pairedHashes.has(entry.requestHash), `journal hash ${entry.requestHash}`).toBe(true);
  const hashOf = (entry: CompletedRequest) => {
    const hash = pairs.get(entry.bodyHash);
    if (hash === undefined) throw new Error(`a completed request (body ${entry.bodyHash}) was not sent by the crashed run`);
    return hash;
  };
  const before = countBy(baselineLog, hashOf);
  const after = countBy(crashLog, hashOf);
  expect([...after.keys()].sort(), 'the crashed run made other requests').toEqual([...before.keys()].sort());

  const allowed = new Map<string, number>();
  let allowedTotal = 0;
  for (const [k, kill] of kills.entries()) {
    const repeatable = repeatableAt(kill, crashLog, hashOf);
    let lost = 0;
    for (const [hash, n] of repeatable) {
      allowed.set(hash, (allowed.get(hash) ?? 0) + n);
      lost += n;
    }
    // The contract's simple bound (in flight at the kill), plus replies finished but not yet journaled when it hit.
    allowedTotal += kill.inFlight + kill.queued + lost;
    if (repeatable.size > 0) console.info(`  kill ${k + 1} may repeat: ${[...repeatable].map(([h, n]) => `${h}×${n}`).join(', ')}`);
  }
  let extraTotal = 0;
  for (const [hash, n] of after) {
    const extra = n - (before.get(hash) ?? 0);
    extraTotal += extra;
    expect(extra, `request ${hash} completed ${n} times (baseline ${before.get(hash) ?? 0})`).toBeLessThanOrEqual(allowed.get(hash) ?? 0);
  }
  expect(extraTotal).toBeLessThanOrEqual(allowedTotal);
  // A process that died right after journaling a call leaves it for resume to answer from the journal.
  const replayed = replayedKeys(crashDir);
  console.info(`${name}: attempts answered from the journal after a restart: ${replayed.join(', ') || 'none'}`);
  if (kills.some((kill) => kill.plan.startsWith('journaled'))) expect(replayed.length).toBeGreaterThan(0);
  console.info(
    `${name}: baseline ${baselineLog.length} completed requests, crashed run ${crashLog.length} ` +
      `(${extraTotal} paid again, at most ${allowedTotal} allowed); journal ${baseline.journal.length} / ${record.journal.length} entries`,
  );
}

describe('crash and resume', () => {
  it('survives SIGKILL in every phase of a pipeline fixture: same output, no journaled call paid again', async () => {
    await crashCase({ name: 'fixture pipeline', module: fixtureModule, input: { topic: 'a tiny compiler' } });
  }, 120_000);

  it.skipIf(!existsSync(featurePipeline))('survives SIGKILL in machines/feature-pipeline.ts', async () => {
    await crashCase({ name: 'feature-pipeline', module: featurePipeline, input: { feature: 'export runs as CSV' } });
  }, 120_000);
});
