// `harness upgrade`: moves runs onto the current code of their workflow file (same structure, or through migrate()).
import { isBehind, sourceOf, upgradeRun, type UpgradeReport } from '../../runtime/upgrade.ts';
import { assertRunId, finalStatuses, versionOf, type RunStore } from '../../store/index.ts';
import { shortVersion } from '../../versions/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { exitCodeOf } from '../exit-codes.ts';
import { openStore, storeFlags } from '../snapshots-dir.ts';

const help = `Usage: harness upgrade <run-id>... [--json] [--snapshots <dir> | --store <url>]
       harness upgrade --all-behind [--json] [--snapshots <dir> | --store <url>]

A run keeps the code it started with (its version) until it is upgraded. Upgrade builds each run's
workflow file as it is now and moves the run onto that version: with the same structure, the run
goes on from where it is; with a changed structure, the workflow's migrate() rewrites the run's
snapshot, or the upgrade is refused naming the states that no longer exist. A run being driven,
or already finished, is refused. The run's history keeps every version it ran under.

Options:
  --all-behind       every unfinished run whose workflow file's code is not the run's version
  --json             print one result per run as JSON: [{ runId, from, to, outcome | error }]
  --snapshots <dir>  directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>      postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)

Exit codes: 0 every run upgraded (or already current), 2 bad usage, an unknown run or a workflow
file that cannot be loaded, 3 a run refused (changed structure without migrate, finished, being
driven). Each run is tried; the exit code is the first failure's.`;

type Result = UpgradeReport | { runId: string; error: string; code: number };

/** The unfinished runs whose workflow file's code is not their version. */
async function behindRuns(store: RunStore, cwd: string): Promise<string[]> {
  const ids: string[] = [];
  for (const run of (await store.list()).runs) {
    if (finalStatuses.includes(run.status) || run.version === undefined) continue; // nothing to read for these
    const record = store.readHead ? await store.readHead(run.runId) : await store.read(run.runId);
    if ((await isBehind({ status: record.status, version: versionOf(record) }, sourceOf(record, cwd))) === true) ids.push(run.runId);
  }
  return ids;
}

function line(result: Result): string {
  if ('error' in result) return `refused ${result.runId}: ${result.error}`;
  const from = result.from === null ? 'before versions' : shortVersion(result.from);
  if (result.outcome === 'current') return `current ${result.runId} already on ${shortVersion(result.to)}`;
  const how = result.outcome === 'migrated' ? 'migrated: the structure changed' : 'same structure';
  return `upgraded ${result.runId} ${from} -> ${shortVersion(result.to)} (${how})`;
}

export const upgradeCommand: Command = {
  name: 'upgrade',
  summary: 'move runs onto the current code of their workflow',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...storeFlags, json: { type: 'boolean', default: false }, 'all-behind': { type: 'boolean', default: false } });
    const all = values['all-behind'] === true;
    if (all && positionals.length > 0) throw new UsageError('give run ids or --all-behind, not both');
    if (!all && positionals.length === 0) throw new UsageError('upgrade needs run ids, or --all-behind: harness upgrade <run-id>...');
    const given = positionals.map((id) => assertRunId(id));
    const { store } = openStore(values, io);
    const ids = all ? await behindRuns(store, io.cwd) : given;
    const results: Result[] = [];
    for (const runId of ids) {
      try {
        results.push(await upgradeRun({ store, runId, cwd: io.cwd }));
      } catch (error) {
        const code = exitCodeOf(error);
        if (code === undefined) throw error;
        results.push({ runId, error: error instanceof Error ? error.message : String(error), code });
      }
      const last = results.at(-1);
      if (!values.json && last) ('error' in last ? io.stderr : io.stdout).write(`${line(last)}\n`);
    }
    if (values.json) io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else if (all && ids.length === 0) io.stdout.write('no run is behind its workflow file\n');
    const failed = results.find((r) => 'error' in r);
    return failed && 'error' in failed ? failed.code : ExitCode.ok;
  },
};
