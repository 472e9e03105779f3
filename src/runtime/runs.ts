// The runtime's public verbs: run, resume, send, cancel, list, get — each a short story over the store and the driver.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createActor, type AnyEventObject, type AnyMachineSnapshot, type Snapshot } from 'xstate';
import { HostPool } from '../llm/pool.ts';
import type { PersistedSnapshot, Workflow } from '../steps/workflow.ts';
import { FileStore, finalStatuses, newRunId, assertRunId, type RunHandle, type RunRecord, type RunSummary } from '../store/index.ts';
import { acceptedEvents, machineDefinition, parseDefinition } from '../definition/index.ts';
import { clearCancel, requestCancel, watchCancel } from './cancel-requests.ts';
import { definitionHash } from './definition.ts';
import { drive, statePaths, type DriveOptions } from './driver.ts';
import { DefinitionChangedError, EventRejectedError, InputError, RunFinishedError } from './errors.ts';
import { loadWorkflow } from './load.ts';

/** What every verb that drives a run can be given. */
export interface DriveHooks {
  store: FileStore;
  /** Per-host concurrency shared by every run of this process. Default: `processPool()`. */
  pool?: HostPool | null;
  signal?: AbortSignal;
  inspect?: DriveOptions['inspect'];
  onCall?: DriveOptions['onCall'];
  onCheckpoint?: DriveOptions['onCheckpoint'];
}

export interface RunOptions extends DriveHooks {
  workflow: Workflow;
  /** The module the workflow came from, stored so `resume` can load it again. */
  modulePath: string;
  input: unknown;
  runId?: string;
  budget?: { tokens?: number; wallMs?: number };
  /** Seeds backoff jitter. Default 1. */
  seed?: number;
  cwd?: string;
}

let sharedPool: HostPool | undefined;

/** The process-wide host pool: HARNESS_HOST_CONCURRENCY, else OLLAMA_NUM_PARALLEL, else 1 call per host at a time. */
export function processPool(env: NodeJS.ProcessEnv = process.env): HostPool {
  if (!sharedPool) {
    const raw = env.HARNESS_HOST_CONCURRENCY ?? env.OLLAMA_NUM_PARALLEL ?? '1';
    const n = Number(raw);
    sharedPool = new HostPool(Number.isInteger(n) && n >= 1 ? n : 1);
  }
  return sharedPool;
}

function hooksOf(hooks: DriveHooks): Omit<DriveOptions, 'handle' | 'workflow' | 'start'> {
  return {
    pool: hooks.pool === undefined ? processPool() : hooks.pool,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.inspect ? { inspect: hooks.inspect } : {}),
    ...(hooks.onCall ? { onCall: hooks.onCall } : {}),
    ...(hooks.onCheckpoint ? { onCheckpoint: hooks.onCheckpoint } : {}),
  };
}

const cancelMarker = (store: FileStore, runId: string) => join(store.dir, `${assertRunId(runId)}.cancel`);

/** Validates the input, creates the run file and drives the run until it finishes, waits for a person, or is stopped. */
export async function runWorkflow(options: RunOptions): Promise<RunRecord> {
  const { workflow, store } = options;
  const parsed = workflow.input.safeParse(options.input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    throw new InputError(`input for workflow ${workflow.id} is invalid: ${issues}`);
  }
  const now = new Date().toISOString();
  const runId = options.runId !== undefined ? assertRunId(options.runId) : newRunId(workflow.id);
  const record: RunRecord = {
    format: 1,
    runId,
    workflow: {
      id: workflow.id,
      module: options.modulePath,
      moduleRelative: relative(options.cwd ?? process.cwd(), options.modulePath),
      hash: definitionHash(workflow.machine),
      definition: machineDefinition(workflow.machine),
    },
    input: parsed.data,
    status: 'running',
    snapshot: null,
    journal: [],
    timeline: [],
    flags: [],
    epoch: 1,
    budget: { ...workflow.budget, ...options.budget },
    usage: { tokensIn: 0, tokensOut: 0, calls: 0 },
    activeMs: 0,
    seed: options.seed ?? 1,
    createdAt: now,
    updatedAt: now,
  };
  const handle = await store.create(record);
  return driveHandle(handle, workflow, { input: parsed.data }, options);
}

async function driveHandle(handle: RunHandle, workflow: Workflow, start: DriveOptions['start'], hooks: DriveHooks) {
  const marker = cancelMarker(hooks.store, handle.record.runId);
  try {
    const record = await drive({ handle, workflow, start, ...hooksOf(hooks), onCancelRequest: (cancel) => watchCancel(marker, cancel) });
    if (record.status === 'cancelled') clearCancel(marker);
    return record;
  } finally {
    await handle.close();
  }
}

/** Loads the workflow a run was started with: from its stored module path, or relative to `cwd` for a moved checkout. */
export async function workflowOf(record: RunRecord, cwd = process.cwd()): Promise<{ workflow: Workflow; modulePath: string }> {
  const path = existsSync(record.workflow.module) ? record.workflow.module : join(cwd, record.workflow.moduleRelative);
  return loadWorkflow(path, cwd);
}

/** Takes the run (one read, under its lock), checks its definition (migrating if allowed), returns what to restore. */
async function takeRun(store: FileStore, runId: string, workflow: Workflow | undefined, cwd: string) {
  const handle = await store.open(runId);
  try {
    const record = handle.record;
    if (finalStatuses.includes(record.status)) throw new RunFinishedError(`run ${runId} is already ${record.status}; nothing to resume`);
    const wf = workflow ?? (await workflowOf(record, cwd)).workflow;
    const current = definitionHash(wf.machine);
    let snapshot = record.snapshot as PersistedSnapshot | null;
    if (current !== record.workflow.hash) {
      if (!wf.migrate) {
        throw new DefinitionChangedError(
          `workflow ${wf.id} changed since run ${runId} started (definition ${record.workflow.hash}, now ${current}); ` +
            'restore the old definition, or give the workflow a migrate() for its snapshots',
        );
      }
      if (snapshot) snapshot = wf.migrate(snapshot, record.workflow.hash);
      record.workflow.hash = current;
      record.workflow.definition = machineDefinition(wf.machine);
    }
    return { handle, workflow: wf, snapshot };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export interface ResumeOptions extends DriveHooks {
  runId: string;
  /** The workflow to resume with; default: loaded from the module path stored in the run. */
  workflow?: Workflow;
  cwd?: string;
}

/** Restores a stopped, crashed or waiting run from its last checkpoint and drives it on. */
export async function resumeWorkflow(options: ResumeOptions): Promise<RunRecord> {
  const { handle, workflow, snapshot } = await takeRun(options.store, options.runId, options.workflow, options.cwd ?? process.cwd());
  const start = snapshot ? { snapshot } : { input: handle.record.input };
  return driveHandle(handle, workflow, start, options);
}

export interface SendOptions extends ResumeOptions {
  event: AnyEventObject;
}

/** Delivers an event (e.g. a person's APPROVE) to a run and drives it until it settles again. */
export async function sendToRun(options: SendOptions): Promise<RunRecord> {
  const { handle, workflow, snapshot } = await takeRun(options.store, options.runId, options.workflow, options.cwd ?? process.cwd());
  try {
    if (!snapshot) throw new EventRejectedError(`run ${options.runId} has not started yet; resume it first`);
    const probe = createActor(workflow.machine, { snapshot: snapshot as Snapshot<unknown> });
    const state = probe.getSnapshot() as AnyMachineSnapshot;
    if (!state.can(options.event)) {
      const accepted = acceptedEvents(parseDefinition(handle.record.workflow.definition), statePaths(state.value));
      throw new EventRejectedError(
        `run ${options.runId} does not accept ${options.event.type} in state ${JSON.stringify(state.value)}` +
          (accepted.length > 0 ? ` (it accepts: ${accepted.join(', ')})` : ''),
      );
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  return driveHandle(handle, workflow, { snapshot, event: options.event }, options);
}

/**
 * Cancels a run. If another process drives it, leaves a cancel request it picks up within a moment and waits for it;
 * otherwise marks the run cancelled itself. A cancelled run cannot be resumed.
 */
export async function cancelRun(store: FileStore, runId: string, waitMs = 10_000): Promise<RunRecord> {
  const before = store.read(runId);
  if (finalStatuses.includes(before.status)) throw new RunFinishedError(`run ${runId} is already ${before.status}`);
  let handle: RunHandle;
  try {
    handle = await store.open(runId);
  } catch (error) {
    if ((error as Error).name !== 'RunLockedError') throw error;
    requestCancel(cancelMarker(store, runId));
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const now = store.read(runId);
      if (now.status === 'cancelled') return now;
    }
    throw error;
  }
  try {
    handle.record.status = 'cancelled';
    await handle.save();
    return handle.record;
  } finally {
    await handle.close();
    clearCancel(cancelMarker(store, runId));
  }
}

export function listRuns(store: FileStore): { runs: RunSummary[]; unreadable: { file: string; reason: string }[] } {
  return store.list();
}

export function getRun(store: FileStore, runId: string): RunRecord {
  return store.read(runId);
}
