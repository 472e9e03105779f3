// Upgrading a run: moving it, explicitly, from the version it runs on to the code of its workflow file as it is now.
import type { AnyStateMachine } from 'xstate';
import { machineDefinition } from '../definition/index.ts';
import type { PersistedSnapshot } from '../steps/workflow.ts';
import { checkpointOf, finalStatuses, versionOf, type RunRecord, type RunStatus, type RunStore } from '../store/index.ts';
import { buildVersion } from '../versions/index.ts';
import { definitionHash } from './definition.ts';
import { statePaths } from './driver.ts';
import { DefinitionChangedError, RunFinishedError, WorkflowLoadError } from './errors.ts';
import { loadWorkflow, sourceOf, storeVersion } from './load.ts';

export { sourceOf };

export interface UpgradeOptions {
  store: RunStore;
  runId: string;
  /** Where a moved checkout's relative module path is resolved from (default process.cwd()). */
  cwd?: string;
}

/** What an upgrade did: `current` (nothing to do), `continued` (same structure) or `migrated` (the workflow's migrate()). */
export interface UpgradeReport {
  runId: string;
  from: string | null;
  to: string;
  outcome: 'current' | 'continued' | 'migrated';
}


/**
 * Whether an unfinished run is behind its workflow file at `source`: the file's code (built now, not evaluated) is
 * another version than the run's. Null when that does not apply or cannot be told: a finished run, no version (a run
 * from before versions), the file gone or unbuildable.
 */
export async function isBehind(run: { status: RunStatus; version?: string | undefined }, source: string | null): Promise<boolean | null> {
  if (finalStatuses.includes(run.status) || run.version === undefined || source === null) return null;
  try {
    return (await buildVersion(source)).hash !== run.version;
  } catch {
    return null;
  }
}

/** The states of `value` (leaf paths such as `review.security`) that `machine` does not have. */
function missingStates(machine: AnyStateMachine, value: unknown): string[] {
  return statePaths(value).filter((path) => {
    let node = machine.root;
    for (const key of path.split('.')) {
      const next = node.states[key];
      if (next === undefined) return true;
      node = next;
    }
    return false;
  });
}

/**
 * Moves a run that is not being driven onto the current code of its workflow file. Same structure: the snapshot goes
 * on unchanged. Changed structure: the workflow's `migrate(snapshot, fromHash)` rewrites it, or the upgrade is refused
 * naming the states that no longer exist. The new version and the (migrated) snapshot are one commit, so a crash
 * leaves the run wholly on one version; the run's history keeps every version it ran under.
 */
export async function upgradeRun(options: UpgradeOptions): Promise<UpgradeReport> {
  const { store, runId } = options;
  const before = await store.read(runId);
  if (finalStatuses.includes(before.status)) throw new RunFinishedError(`run ${runId} is already ${before.status}; there is nothing to upgrade`);
  const source = sourceOf(before, options.cwd);
  if (source === null) throw new WorkflowLoadError(`run ${runId}: its workflow file ${before.workflow.module} is gone; there is no newer code to upgrade to`);
  const loaded = await loadWorkflow(source, options.cwd);
  const from = versionOf(before) ?? null;
  const to = loaded.version.hash;
  if (from === to) return { runId, from, to, outcome: 'current' };
  await storeVersion(store, loaded);

  const session = await store.open(runId);
  try {
    const record = session.record;
    if ((versionOf(record) ?? null) !== from) throw new DefinitionChangedError(`run ${runId} moved to another version while it was being upgraded; try again`);
    const fromHash = from === null ? record.workflow.hash : (await store.getVersion(from)).definitionHash;
    const toHash = definitionHash(loaded.workflow.machine);
    let snapshot: PersistedSnapshot | null = record.snapshot;
    const migrate = loaded.workflow.migrate;
    const outcome = fromHash === toHash ? 'continued' : 'migrated';
    if (outcome === 'migrated' && snapshot !== null) {
      if (migrate) snapshot = migrate(snapshot, fromHash);
      const missing = missingStates(loaded.workflow.machine, snapshot['value']);
      if (missing.length > 0) {
        throw new DefinitionChangedError(
          `run ${runId} cannot be upgraded: ${missing.map((s) => `'${s}'`).join(', ')} no longer exist${missing.length === 1 ? 's' : ''} in workflow ${loaded.workflow.id} ` +
            (migrate ? '(its migrate() left the run there)' : '(give the workflow a migrate() that moves such runs)') + `; it stays on version ${from?.slice(0, 12) ?? 'before versions'}`,
        );
      }
    }
    const at = new Date().toISOString();
    await session.commit({ ...checkpointOf(record), snapshot, version: to }, [
      { at, actor: 'root', event: `xstate-llm-harness.upgrade ${to.slice(0, 12)}`, state: snapshot ? statePaths(snapshot['value']) : [] },
    ]);
    await session.migrate(toHash, machineDefinition(loaded.workflow.machine), to);
    return { runId, from, to, outcome };
  } finally {
    await session.close();
  }
}
