// Forking a run: a new run from one of a run's kept checkpoints, its journal reused up to there, driven like resume.
import { machineDefinition } from '../definition/index.ts';
import type { Workflow } from '../steps/workflow.ts';
import { assertJournalCovers, finalStatuses, newRunId, assertRunId, type RunMeta, type RunRecord, type StoredJournalEntry } from '../store/index.ts';
import { definitionHash } from './definition.ts';
import type { DriveStart } from './driver.ts';
import { isPlainObject } from '../util/plain-object.ts';
import { InputError, RunFinishedError } from './errors.ts';
import { loadVersion } from './load.ts';
import { checkDefinition, driveSession, parseInput, restorableSnapshot, workflowOf, type DriveHooks } from './runs.ts';

export { CheckpointNotFoundError } from '../store/index.ts';
export type { HistoryEntry, HistoricCheckpoint } from '../store/types.ts';

export interface ForkOptions extends DriveHooks {
  /** The run to fork from: only read, never written (another process may be driving it). */
  runId: string;
  /** The seq of the checkpoint to start from, as `store.history(runId)` numbers them. */
  at: number;
  /** The new run's id; default a fresh one for the workflow. */
  newRunId?: string;
  /** Replaces the run's input in the new run (checked against the workflow's schema). */
  input?: unknown;
  /** Shallow-merged into the root context of the restored snapshot: a plain JSON object. */
  contextPatch?: Record<string, unknown>;
  /** The workflow to fork with; default: loaded from the module path stored in the run. */
  workflow?: Workflow;
  cwd?: string;
}

/** True for what survives JSON as itself: null, booleans, finite numbers, strings, arrays and plain objects of them. */
function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  return isPlainObject(value) && Object.values(value).every(isJson);
}

/** Checks a context patch: InputError unless it is a plain JSON object. */
export function checkContextPatch(patch: unknown): Record<string, unknown> {
  if (!isPlainObject(patch)) throw new InputError('the context patch must be a JSON object ({"key": value, …})');
  if (!isJson(patch)) throw new InputError('the context patch must be plain JSON (no undefined, functions, dates, NaN or class instances)');
  return patch;
}

/** The snapshot with `patch` merged into its root context; the stored one is not changed. */
function patchContext(snapshot: RunRecord['snapshot'], patch: Record<string, unknown>, runId: string, at: number): RunRecord['snapshot'] {
  if (Object.keys(patch).length === 0) return snapshot;
  if (snapshot === null) throw new InputError(`checkpoint ${at} of run ${runId} has no snapshot yet: there is no context to patch`);
  const context = snapshot['context'];
  if (!isPlainObject(context)) throw new InputError(`checkpoint ${at} of run ${runId} has no object context to patch`);
  return { ...snapshot, context: { ...context, ...patch } };
}

/** A fork decided and checked, nothing written yet: what `driveFork` creates and drives. */
export interface ForkPlan {
  meta: RunMeta;
  workflow: Workflow;
  /** The source's journal entries up to the checkpoint, marked reused: calls the fork replays rather than pays for. */
  journal: StoredJournalEntry[];
  start: DriveStart;
  /**
   * True when a new input restarts the run from its start state (the checkpoint's snapshot was made from the old
   * input): the journaled calls whose requests are still the same are replayed, the others made anew.
   */
  restarted: boolean;
}

/** The workflow a checkpoint forks onto: the version it was written under, else the caller's or the run's module. */
async function forkWorkflow(options: Omit<ForkOptions, keyof DriveHooks> & Pick<DriveHooks, 'store'>, source: RunRecord, version: string | undefined) {
  if (options.workflow) return { workflow: options.workflow, hash: source.workflow.hash, meta: { ...source.workflow } };
  if (version !== undefined) {
    const loaded = await loadVersion(options.store, version);
    return { workflow: loaded.workflow, hash: loaded.definitionHash, meta: { ...source.workflow, version, hash: loaded.definitionHash, definition: loaded.definition } };
  }
  const { workflow, hash } = await workflowOf(source, options.cwd ?? process.cwd());
  return { workflow, hash, meta: { ...source.workflow } };
}

/**
 * Decides a fork on reads alone, so every refusal writes nothing: an unknown run or seq, a checkpoint where the run
 * had already ended, a changed definition (unless the workflow migrates: then the new run follows the new one), a bad
 * input or context patch. A checkpoint forks onto the version it was written under (an upgrade later in the source
 * run changes nothing for it); a new input restarts from the start state.
 */
export async function prepareFork(options: Omit<ForkOptions, keyof DriveHooks> & Pick<DriveHooks, 'store'>): Promise<ForkPlan> {
  const { store, runId, at } = options;
  const source = await store.read(runId);
  const kept = await store.checkpointAt(runId, at);
  // A fork reuses the journal up to the checkpoint: with part of it gone, the fork would pay for those calls again.
  assertJournalCovers(runId, undefined, source.journal.length, at, kept.journalCount);
  if (finalStatuses.includes(kept.checkpoint.status)) {
    throw new RunFinishedError(`checkpoint ${at} of run ${runId} is ${kept.checkpoint.status}: nothing to fork from there; pick an earlier one (harness history ${runId})`);
  }
  const restarted = options.input !== undefined;
  if (restarted && options.contextPatch !== undefined) {
    throw new InputError('a new input restarts the run from its start state, where there is no checkpoint context to patch: give the input or the context patch, not both');
  }
  const { workflow: wf, hash, meta: workflowMeta } = await forkWorkflow(options, source, kept.checkpoint.version ?? source.workflow.version);
  const checked = checkDefinition(runId, hash, kept.checkpoint.snapshot, wf, true);
  if (!checked) throw new Error('a migrating definition check always gives a snapshot');
  const patch = options.contextPatch === undefined ? {} : checkContextPatch(options.contextPatch);
  const snapshot = restorableSnapshot(runId, patchContext(checked.snapshot, patch, runId, at));
  const input = restarted ? parseInput(wf, options.input) : source.input;
  const meta: RunMeta = {
    runId: options.newRunId !== undefined ? assertRunId(options.newRunId) : newRunId(wf.id),
    workflow: checked.migratedTo ? { ...workflowMeta, hash: definitionHash(wf.machine), definition: machineDefinition(wf.machine) } : workflowMeta,
    input,
    budget: source.budget,
    seed: source.seed,
    createdAt: new Date().toISOString(),
  };
  const start: DriveStart = snapshot && !restarted ? { snapshot } : { input };
  const journal = source.journal.slice(0, kept.journalCount).map((entry) => ({ ...entry, reusedFrom: entry.reusedFrom ?? runId }));
  return { meta, workflow: wf, journal, start, restarted };
}

/** Creates the planned run (RunExistsError if its id is taken), copies the reused journal in, and drives it. */
export async function driveFork(plan: ForkPlan, hooks: DriveHooks): Promise<RunRecord> {
  const session = await hooks.store.create(plan.meta);
  try {
    for (const entry of plan.journal) await session.append(entry);
  } catch (error) {
    await session.close();
    throw error;
  }
  // A fork is a person's act, like a resume: a step parked at that checkpoint tries its host again at once.
  return driveSession(session, plan.workflow, plan.start, { ...hooks, retryParked: hooks.retryParked ?? true });
}

/**
 * Starts a new run from checkpoint `at` of run `runId` and drives it like resume, on the version that checkpoint was
 * written under. The new run has the source's meta (new id and createdAt) and the first `journalCount` journal
 * entries of the source, so calls finished before the checkpoint are replayed, never paid again, and calls after it
 * are made anew. A new `input` restarts the run from its start state: journaled calls whose requests are unchanged
 * are replayed, the others (those whose prompt reads the input) are paid for. A context
 * patch changes the root context only: a step already running at the checkpoint restarts with the input it had.
 */
export async function forkRun(options: ForkOptions): Promise<RunRecord> {
  return driveFork(await prepareFork(options), options);
}
