// The runtime's public verbs: run, resume, send, cancel, list, get — each a short story over a RunStore and the driver.
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createActor, type AnyEventObject, type AnyMachineSnapshot, type Snapshot } from 'xstate';
import { HostPool } from '../llm/pool.ts';
import { hasCode } from '../errors.ts';
import type { HostSet } from '../llm/hosts.ts';
import { defaultContextWindows, type ContextWindows } from '../llm/context/windows.ts';
import { defaultOutagePolicy, type HostLimiter, type OutagePolicy } from '../steps/services.ts';
import { definingModule, restorable, type Workflow } from '../steps/workflow.ts';
import { checkpointOf, finalStatuses, newRunId, assertRunId, versionOf, type RunHead, type RunListing, type RunMeta, type RunRecord, type RunSession, type RunStore } from '../store/index.ts';
import { buildVersion, type BuiltVersion } from '../versions/index.ts';
import { acceptedEvents, parseDefinition } from '../definition/index.ts';
import { definitionHash, storedDefinition } from './definition.ts';
import { drive, statePaths, type DriveOptions, type DriveStart } from './driver.ts';
import { DefinitionChangedError, EventRejectedError, InputError, RunFinishedError, WorkflowLoadError } from './errors.ts';
import { checkedEvent } from './events.ts';
import { loadVersion, loadWorkflow, sourceOf, storeVersion } from './load.ts';
import { assertRunOf, runOf, type EventOf, type InputOf, type RunOf } from './typed.ts';

/** What every verb that drives a run can be given. */
export interface DriveHooks {
  store: RunStore;
  /** Calls per Ollama host, shared by every run given the same limiter (`hostLimiter()`); null: no limit. */
  limiter?: HostLimiter | null;
  /** Several Ollama hosts (`HostSet.fromEnv()` reads OLLAMA_HOSTS): calls are routed and fail over among them. */
  hosts?: HostSet | null;
  /** Model windows and token calibration, shared by the runs given the same one; default: the process's own. */
  windows?: ContextWindows;
  /** How long an outage is ridden out before the run parks; overrides the workflow's own `outage`. */
  outage?: Partial<OutagePolicy>;
  signal?: AbortSignal;
  /** How long a graceful stop (`signal`) waits for calls in flight before cutting them off (default 30 s). */
  stopGraceMs?: number;
  /** Told once when `signal` stops the run: the calls cut off, to be made again on resume. */
  onStop?: DriveOptions['onStop'];
  inspect?: DriveOptions['inspect'];
  onCall?: DriveOptions['onCall'];
  onCheckpoint?: DriveOptions['onCheckpoint'];
  /** OpenTelemetry options (`content`: record prompts and replies; default HARNESS_OTEL_CONTENT=1). */
  telemetry?: DriveOptions['telemetry'];
  /**
   * Parked steps of a restored run try their host at once instead of at their retry time: what a person's resume
   * (and a fork) means. Default: true for `resumeWorkflow` and forks, false for `sendToRun`; workers pass false.
   */
  retryParked?: boolean;
  /** Replies kept across runs by request (evaluations): a call the cache answers is not paid for again. */
  cache?: DriveOptions['cache'];
}

export interface RunOptions<W extends Workflow = Workflow> extends DriveHooks {
  workflow: W;
  /**
   * The module that default-exports the workflow, stored so `harness resume` and workers can load it again. Default:
   * the module that called `defineWorkflow`.
   */
  modulePath?: string;
  /** Checked against the workflow's input schema; typed by it. */
  input: InputOf<W>;
  runId?: string;
  budget?: { tokens?: number; wallMs?: number };
  /** Seeds backoff jitter. Default 1. */
  seed?: number;
  cwd?: string;
  /** The module's code as `loadWorkflow` built it; default: built from `modulePath` when that file exists. */
  version?: BuiltVersion;
}

/**
 * A limiter of calls per host for one process: HARNESS_HOST_CONCURRENCY, else OLLAMA_NUM_PARALLEL, else 1. Create one
 * and hand it to every run that should share it (the CLI makes one per process).
 */
export function hostLimiter(env: NodeJS.ProcessEnv = process.env): HostPool {
  const n = Number(env.HARNESS_HOST_CONCURRENCY ?? env.OLLAMA_NUM_PARALLEL ?? '1');
  return new HostPool(Number.isInteger(n) && n >= 1 ? n : 1);
}

function hooksOf(hooks: DriveHooks, workflow: Workflow): Omit<DriveOptions, 'session' | 'workflow' | 'start'> {
  return {
    limiter: hooks.limiter ?? null,
    hosts: hooks.hosts ?? null,
    context: { windows: hooks.windows ?? defaultContextWindows, ...(workflow.context?.maxNumCtx !== undefined ? { maxNumCtx: workflow.context.maxNumCtx } : {}) },
    outage: { ...defaultOutagePolicy, ...workflow.outage, ...hooks.outage },
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.stopGraceMs !== undefined ? { stopGraceMs: hooks.stopGraceMs } : {}),
    ...(hooks.onStop ? { onStop: hooks.onStop } : {}),
    ...(hooks.inspect ? { inspect: hooks.inspect } : {}),
    ...(hooks.onCall ? { onCall: hooks.onCall } : {}),
    ...(hooks.onCheckpoint ? { onCheckpoint: hooks.onCheckpoint } : {}),
    ...(hooks.telemetry ? { telemetry: hooks.telemetry } : {}),
    ...(hooks.retryParked ? { retryParked: true } : {}),
    ...(hooks.cache ? { cache: hooks.cache } : {}),
  };
}

/** Checks the input against the workflow's schema: InputError with every issue, before anything is written. */
export function parseInput(workflow: Workflow, input: unknown): unknown {
  const parsed = workflow.input.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
  throw new InputError(`input for workflow ${workflow.id} is invalid: ${issues}`);
}

/** What a new run is made of: its id, workflow (module, hash, definition), input, budget and seed. */
export type NewRunOptions = Pick<RunOptions, 'workflow' | 'modulePath' | 'runId' | 'budget' | 'seed' | 'cwd' | 'version'>;

/**
 * Stores the code a new run starts on (once per hash) and gives its hash: the version `loadWorkflow` built, else the
 * module at `modulePath` built now; undefined when there is no such file (a workflow made in code, resumed only by
 * a caller that hands it over again).
 */
export async function startVersion(store: RunStore, options: NewRunOptions): Promise<string | undefined> {
  const module = modulePathOf(options);
  const path = module === '' ? undefined : resolve(options.cwd ?? process.cwd(), module);
  const version = options.version ?? (path !== undefined && existsSync(path) ? await buildVersion(path) : undefined);
  return version === undefined ? undefined : storeVersion(store, { workflow: options.workflow, version });
}

/** The module a new run records: the one given, else the one that called `defineWorkflow`; '' when neither is known. */
function modulePathOf(options: Pick<NewRunOptions, 'workflow' | 'modulePath'>): string {
  return options.modulePath ?? definingModule(options.workflow) ?? '';
}

/**
 * The meta of a new run, the input already checked by `parseInput`: what `runWorkflow` and `submitRun` create. With no
 * module known (a workflow made outside a file), the module is left empty: the run resumes only from code.
 */
export function newRunMeta(options: NewRunOptions, input: unknown, version?: string): RunMeta {
  const { workflow } = options;
  const modulePath = modulePathOf(options);
  return {
    runId: options.runId !== undefined ? assertRunId(options.runId) : newRunId(workflow.id),
    workflow: {
      id: workflow.id,
      module: modulePath,
      moduleRelative: modulePath === '' ? '' : relative(options.cwd ?? process.cwd(), modulePath),
      hash: definitionHash(workflow.machine),
      definition: storedDefinition(workflow.machine),
      ...(version !== undefined ? { version } : {}),
    },
    input,
    budget: { ...workflow.budget, ...options.budget },
    seed: options.seed ?? 1,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Validates the input, creates the run and drives it until it finishes, waits for a person, or is stopped. The input,
 * the output and the events are those of the workflow given.
 */
export async function runWorkflow<W extends Workflow>(options: RunOptions<W>): Promise<RunOf<W>> {
  const { workflow, store } = options;
  const input = parseInput(workflow, options.input);
  const session = await store.create(newRunMeta(options, input, await startVersion(store, options)));
  // Handed on, not awaited: a run in flight holds no suspended frame of this function.
  return driveSession(session, workflow, { input }, options).then((record) => runOf<W>(record));
}

/**
 * Validates the input and creates the run without driving it (a worker takes it up): nothing is written when the
 * input is refused. Returns the run's id.
 */
export async function submitRun<W extends Workflow>(options: NewRunOptions & { workflow: W; store: RunStore; input: InputOf<W> }): Promise<string> {
  const input = parseInput(options.workflow, options.input);
  const session = await options.store.create(newRunMeta(options, input, await startVersion(options.store, options)));
  await session.close();
  return session.runId;
}

/**
 * Drives a session until the run settles, then closes it (and clears a cancel request the run obeyed). A chain rather
 * than an async function: every run in flight would otherwise hold a suspended frame of it.
 */
export function driveSession(session: RunSession, workflow: Workflow, start: DriveStart, hooks: DriveHooks): Promise<RunRecord> {
  const { store } = hooks;
  const runId = session.runId;
  return drive({ session, workflow, start, ...hooksOf(hooks, workflow), onCancelRequest: (cancel) => store.watchCancel(runId, cancel) })
    .then(async (record) => {
      if (record.status === 'cancelled') await store.clearCancel(runId);
      return record;
    })
    .finally(() => session.close());
}

/**
 * Loads the workflow a run is on: its stored version when `store` is given and the run has one (no source file
 * needed); else from its stored module path, or relative to `cwd` for a moved checkout. `hash`: the definition hash
 * the run's snapshot was written under.
 */
export async function workflowOf(record: RunHead, cwd = process.cwd(), store?: RunStore): Promise<{ workflow: Workflow; modulePath: string; hash: string }> {
  const version = versionOf(record);
  if (store !== undefined && version !== undefined) {
    const loaded = await loadVersion(store, version);
    return { workflow: loaded.workflow, modulePath: record.workflow.module, hash: loaded.definitionHash };
  }
  if (record.workflow.module === '') {
    throw new WorkflowLoadError(
      `run ${record.runId} was started from code with no module path: resume it from code with its workflow ` +
        '(resumeWorkflow({ workflow })), or start runs with a modulePath',
    );
  }
  const path = sourceOf(record, cwd) ?? join(cwd, record.workflow.moduleRelative); // not found: loading it says so
  const { workflow, modulePath } = await loadWorkflow(path, cwd);
  return { workflow, modulePath, hash: record.workflow.hash };
}

interface Restore {
  workflow: Workflow;
  /** What to restore, migrated if the definition changed; null when the run never reached its first checkpoint. */
  snapshot: Snapshot<unknown> | null;
  /** Set when the definition changed and the workflow migrated the snapshot. */
  migratedTo: string | null;
}

/** A stored snapshot once the definition is checked: migrated when the definition changed (`migratedTo`: the new hash). */
export interface CheckedSnapshot {
  snapshot: RunRecord['snapshot'];
  migratedTo: string | null;
}

/**
 * The definition check of every restore (resume, send, fork): the run's stored hash must be the workflow's, or the
 * workflow must have a migrate() for the snapshot; else DefinitionChangedError. With `migrate` false it only checks,
 * and returns null where a migration would run (so a workflow's migrate() runs once, on what a session read).
 */
export function checkDefinition(runId: string, storedHash: string, stored: RunRecord['snapshot'], wf: Workflow, migrate: boolean): CheckedSnapshot | null {
  const current = definitionHash(wf.machine);
  if (current === storedHash) return { snapshot: stored, migratedTo: null };
  if (!wf.migrate) {
    throw new DefinitionChangedError(
      `workflow ${wf.id} changed since run ${runId} started (definition ${storedHash}, now ${current}); ` +
        'restore the old definition, or give the workflow a migrate() for its snapshots',
    );
  }
  if (!migrate) return null;
  return { snapshot: stored ? wf.migrate(stored, storedHash) : null, migratedTo: current };
}

/** The snapshot as XState restores it; null when there is none (the run never reached its first checkpoint). */
export function restorableSnapshot(runId: string, snapshot: RunRecord['snapshot']): Snapshot<unknown> | null {
  const restored = snapshot ? restorable(snapshot) : null;
  if (snapshot && !restored) throw new DefinitionChangedError(`run ${runId}: its stored snapshot is not one XState can restore`);
  return restored;
}

/**
 * Everything that may refuse a run, decided on a read: a refusal leaves the run exactly as it was. `migrate` is false
 * for the look before the run is taken, so a workflow's migrate() runs once, on what the session read.
 */
function planRestore(record: RunHead, wf: Workflow, hash: string, migrate: boolean): Restore | null {
  const { runId } = record;
  if (finalStatuses.includes(record.status)) throw new RunFinishedError(`run ${runId} is already ${record.status}; nothing to resume`);
  const checked = checkDefinition(runId, hash, record.snapshot, wf, migrate);
  if (!checked) return null;
  return { workflow: wf, snapshot: restorableSnapshot(runId, checked.snapshot), migratedTo: checked.migratedTo };
}

/**
 * Takes the run to drive it. Every refusal is decided on a plain read first, so it writes nothing; the decision is
 * made again on what the session read, in case another driver moved the run in between.
 */
async function takeRun(store: RunStore, runId: string, workflow: Workflow | undefined, cwd: string, check?: (plan: Restore, record: RunHead) => void) {
  // Without the journal: the session reads it once it holds the run, and a refusal needs none of it.
  const before: RunHead = store.readHead ? await store.readHead(runId) : await store.read(runId);
  if (workflow) assertRunOf(before, workflow);
  // A run is resumed on its own version; a caller's workflow is checked against the definition the run recorded.
  const { workflow: wf, hash } = workflow ? { workflow, hash: before.workflow.hash } : await workflowOf(before, cwd, store);
  const first = planRestore(before, wf, hash, false);
  if (first) check?.(first, before);
  const session = await store.open(runId);
  try {
    if (versionOf(session.record) !== versionOf(before)) throw new DefinitionChangedError(`run ${runId} was upgraded while it was being taken; try again`);
    const plan = planRestore(session.record, wf, hash, true);
    if (!plan) throw new Error('a migrated restore plan is always made');
    check?.(plan, session.record);
    if (plan.migratedTo) await session.migrate(plan.migratedTo, storedDefinition(wf.machine));
    // An upgrade that died between its commit and its meta: the meta is brought in line with the version resumed.
    const version = versionOf(session.record);
    if (!workflow && version !== undefined && session.record.workflow.version !== version) await session.migrate(hash, storedDefinition(wf.machine), version);
    return { session, workflow: wf, snapshot: plan.snapshot };
  } catch (error) {
    await session.close();
    throw error;
  }
}

export interface ResumeOptions<W extends Workflow = Workflow> extends DriveHooks {
  runId: string;
  /** The workflow to resume with (it types the result); default: loaded from the module path stored in the run. */
  workflow?: W;
  cwd?: string;
}

/**
 * Restores a stopped, crashed, waiting or parked run from its last checkpoint and drives it on. Its parked steps try
 * their host again at once, unless `retryParked: false` (a worker's wake-up: each waits for its own retry time).
 */
export async function resumeWorkflow<W extends Workflow = Workflow>(options: ResumeOptions<W>): Promise<RunOf<W>> {
  const { session, workflow, snapshot } = await takeRun(options.store, options.runId, options.workflow, options.cwd ?? process.cwd());
  const start: DriveStart = snapshot ? { snapshot } : { input: session.record.input };
  return runOf<W>(await driveSession(session, workflow, start, { ...options, retryParked: options.retryParked ?? true }));
}

export interface SendOptions<W extends Workflow = Workflow> extends ResumeOptions<W> {
  /** The event, its payload on its fields as XState has it (`{ type: 'APPROVE', by: 'ann' }`); typed by the workflow's machine. */
  event: EventOf<W>;
}

/**
 * Delivers an event (e.g. a person's APPROVE) to a run and drives it until it settles again. A payload that fails the
 * schema the waiting state declared (`waitFor({ events })`) is refused before anything is written; the parsed payload
 * is what the run receives.
 */
export async function sendToRun<W extends Workflow = Workflow>(options: SendOptions<W>): Promise<RunOf<W>> {
  const { runId } = options;
  let event: AnyEventObject = options.event;
  const accepts = ({ workflow, snapshot }: Restore, record: RunHead) => {
    if (!snapshot) throw new EventRejectedError(`run ${runId} has not started yet; resume it first`);
    const state: AnyMachineSnapshot = createActor(workflow.machine, { snapshot }).getSnapshot();
    event = checkedEvent(runId, workflow.machine, state.value, options.event);
    if (state.can(event)) return;
    const accepted = acceptedEvents(parseDefinition(record.workflow.definition), statePaths(state.value));
    throw new EventRejectedError(
      `run ${runId} does not accept ${event.type} in state ${JSON.stringify(state.value)}` +
        (accepted.length > 0 ? ` (it accepts: ${accepted.join(', ')})` : ''),
    );
  };
  const { session, workflow, snapshot } = await takeRun(options.store, runId, options.workflow, options.cwd ?? process.cwd(), accepts);
  if (!snapshot) {
    await session.close();
    throw new EventRejectedError(`run ${runId} has not started yet; resume it first`);
  }
  return runOf<W>(await driveSession(session, workflow, { snapshot, event }, options));
}

/**
 * Cancels a run. If another session drives it, leaves a cancel request it picks up within a moment and waits for it;
 * otherwise marks the run cancelled itself. A cancelled run cannot be resumed.
 */
export async function cancelRun(store: RunStore, runId: string, waitMs = 10_000): Promise<RunRecord> {
  const before = await store.read(runId);
  if (finalStatuses.includes(before.status)) throw new RunFinishedError(`run ${runId} is already ${before.status}`);
  let session: RunSession;
  try {
    session = await store.open(runId);
  } catch (error) {
    if (!hasCode(error, 'RUN_LOCKED')) throw error;
    await store.requestCancel(runId);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await store.read(runId);
      if (now.status === 'cancelled') return now;
    }
    throw error;
  }
  try {
    const { record } = session;
    await session.commit({ ...checkpointOf(record), status: 'cancelled', wakeAt: null });
    return session.record;
  } finally {
    await session.close();
    await store.clearCancel(runId);
  }
}

export function listRuns(store: RunStore): Promise<RunListing> {
  return store.list();
}

/** Reads a run; given its workflow, typed as a run of it (and refused if it is a run of another workflow). */
export async function getRun<W extends Workflow = Workflow>(store: RunStore, runId: string, workflow?: W): Promise<RunOf<W>> {
  const record = await store.read(runId);
  if (workflow) assertRunOf(record, workflow);
  return runOf<W>(record);
}
