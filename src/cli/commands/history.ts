// `harness history`: a run's kept checkpoints (seq, time, status, active states), numbered as `fork --at` takes them.
import { statePaths } from '../../runtime/driver.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { localTime, table } from '../format.ts';
import { colorEnabled, paint } from '../io.ts';
import { colorStatus } from '../print-run.ts';
import { openStore } from '../snapshots-dir.ts';
import { shortVersion } from '../../versions/index.ts';

const help = `Usage: harness history <run-id> [--json] [--snapshots <dir> | --store <url>]

Lists every checkpoint the run committed, oldest first: its number (SEQ, what harness fork --at
takes), when it was written, the run's status and active states then, how many model calls were
journaled by then (a fork from it reuses those, and makes the rest again), and the version (code)
it was written under: a fork from it runs on that version.

Options:
  --json             print the checkpoints as JSON (seq, at, status, value, journalCount, version)
  --snapshots <dir>  directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>      postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)`;

export const historyCommand: Command = {
  name: 'history',
  summary: 'list a run\'s checkpoints, numbered for harness fork --at',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      snapshots: { type: 'string' },
      store: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) throw new UsageError('history needs exactly one run id: harness history <run-id>');
    const runId = assertRunId(positionals[0] as string);
    const { store } = openStore(values, io, 'read');
    const history = await store.history(runId);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(history, null, 2)}\n`);
      return ExitCode.ok;
    }
    if (history.length === 0) {
      io.stdout.write(`run ${runId} has no checkpoints yet\n`);
      return ExitCode.ok;
    }
    const p = paint(colorEnabled(io.stdout, io.env));
    // A VERSION column once checkpoints name theirs: an upgrade shows as the version changing from one row to the next.
    const withVersion = history.some((entry) => entry.version !== undefined);
    const header = ['SEQ', 'TIME', 'STATUS', 'CALLS', ...(withVersion ? ['VERSION'] : []), 'STATE'].map((h) => p.dim(h));
    const rows = history.map((entry) => [
      String(entry.seq),
      localTime(entry.at),
      colorStatus(entry.status, p),
      String(entry.journalCount),
      ...(withVersion ? [entry.version === undefined ? '-' : shortVersion(entry.version)] : []),
      entry.value === null ? '-' : statePaths(entry.value).join(', '),
    ]);
    io.stdout.write(`${table([header, ...rows]).join('\n')}\n`);
    return ExitCode.ok;
  },
};
