// `harness ls`: every run in the snapshots directory, newest first; unreadable files listed with their reason.
import { existsSync } from 'node:fs';
import { listRuns } from '../../runtime/index.ts';
import { isBehind } from '../../runtime/upgrade.ts';
import type { RunSummary } from '../../store/index.ts';
import { shortVersion } from '../../versions/index.ts';
import { callCountText } from '../../runtime/paid-calls.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { duration, localTime, table } from '../format.ts';
import { colorEnabled, paint, type Paint } from '../io.ts';
import { blockedNote, blockedOf, statusCell, wakeNote } from '../print-run.ts';
import { openStore, storeFlags } from '../snapshots-dir.ts';

const help = `Usage: harness ls [--json] [--snapshots <dir> | --store <url>]

Lists the runs in the snapshots directory, newest first: id, workflow, status, start time, time
spent being driven, tokens and model calls paid for (with a fork's reused calls apart) and flags,
the version each run runs on (the short hash of its code, marked behind when its workflow file's
code is newer: harness upgrade); for waiting and parked runs with a deadline or
retry time, when they next wake (marked overdue once it passed with no worker moving them). A run
workers refuse (its workflow module fails to load, its definition changed, a model no host has)
shows as blocked, with the reason below the table. Files that are not readable run records are
listed with the reason (they are never modified).

Options:
  --json             print { dir, runs, unreadable } as JSON
  --snapshots <dir>  directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>      postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)`;

/** Each run's version cell; an unfinished run's is marked behind when its workflow file's code is another version. */
async function versionCells(runs: readonly RunSummary[], p: Paint): Promise<(string | null)[]> {
  const cells: (string | null)[] = [];
  for (const run of runs) {
    if (run.version === undefined) cells.push(null);
    else {
      const source = run.module !== undefined && existsSync(run.module) ? run.module : null;
      const behind = await isBehind(run, source);
      cells.push(behind === true ? `${shortVersion(run.version)} ${p.yellow('behind')}` : shortVersion(run.version));
    }
  }
  return cells;
}

export const lsCommand: Command = {
  name: 'ls',
  summary: 'list runs, newest first',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...storeFlags, json: { type: 'boolean', default: false } });
    if (positionals.length > 0) throw new UsageError(`ls takes no arguments, got "${positionals.join(' ')}"`);
    const { store } = openStore(values, io, 'read');
    const { runs, unreadable } = await listRuns(store);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ dir: store.dir, runs, unreadable }, null, 2)}\n`);
      return ExitCode.ok;
    }
    const p = paint(colorEnabled(io.stdout, io.env));
    const lines: string[] = [];
    if (runs.length === 0) lines.push(`no runs in ${store.dir}`);
    else {
      // The NEXT WAKE column appears only when a waiting or parked run has a wake-up time (overdue ones in red).
      const wakes = runs.map((r) => wakeNote(r, p));
      const withWake = wakes.some((note) => note !== null);
      // The VERSION column appears once a run has one: its short hash, marked behind when its file's code moved on.
      const versions = await versionCells(runs, p);
      const withVersion = versions.some((cell) => cell !== null);
      const header = ['ID', 'WORKFLOW', 'STATUS', 'STARTED', 'ELAPSED', 'TOKENS', 'CALLS', 'FLAGS', ...(withVersion ? ['VERSION'] : []), ...(withWake ? ['NEXT WAKE'] : [])].map((h) => p.dim(h));
      const rows = runs.map((r, i) => [
        r.runId,
        r.workflowId,
        statusCell(r, p),
        localTime(r.createdAt),
        duration(r.activeMs),
        String(r.tokens),
        callCountText({ paid: r.calls, reused: r.reused }),
        r.flags.length === 0 ? '-' : p.yellow(String(r.flags.length)),
        ...(withVersion ? [versions[i] ?? '-'] : []),
        ...(withWake ? [wakes[i] ?? '-'] : []),
      ]);
      lines.push(...table([header, ...rows]));
    }
    for (const run of runs) {
      const blocked = blockedOf(run);
      if (blocked !== null) lines.push(p.red(`blocked ${run.runId}: ${blockedNote(blocked)}`));
    }
    for (const bad of unreadable) lines.push(p.red(`unreadable ${bad.file}: ${bad.reason}`));
    io.stdout.write(`${lines.join('\n')}\n`);
    return ExitCode.ok;
  },
};
