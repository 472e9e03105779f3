// `harness history`: a run's kept checkpoints (seq, time, status, active states), numbered as `fork --at` takes them.
import { statePaths } from '../../runtime/driver.ts';
import { callCountText, countCalls, type CallCounts } from '../../runtime/paid-calls.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { localTime, table } from '../format.ts';
import { colorEnabled, paint } from '../io.ts';
import { colorStatus } from '../print-run.ts';
import { openStore } from '../snapshots-dir.ts';
import { shortVersion } from '../../versions/index.ts';

const help = `Usage: harness history <run-id> [--json] [--snapshots <dir> | --store <url>]

Lists every checkpoint the run committed, oldest first: its number (SEQ, what harness fork --at
takes), when it was written, the run's status and active states then, the model calls journaled
by then, judges' included and counted as every command counts them (paid, reused from a forked run,
unanswered): a fork from that checkpoint reuses them all, and makes the rest again; and the version
(code) it was written under: a fork from it runs on that version.

Options:
  --json             print the checkpoints as JSON (seq, at, status, value, journalCount, calls, version)
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
    // The journal only grows: a checkpoint's calls are the first `journalCount` entries of it.
    const journal = history.length === 0 ? [] : (await store.read(runId)).journal;
    const counted = history.map((entry) => ({ ...entry, calls: countCalls(journal.slice(0, entry.journalCount)) }));
    if (values.json) {
      const calls = ({ paid, reused, unanswered }: CallCounts) => ({ paid, reused, unanswered });
      io.stdout.write(`${JSON.stringify(counted.map((entry) => ({ ...entry, calls: calls(entry.calls) })), null, 2)}\n`);
      return ExitCode.ok;
    }
    if (history.length === 0) {
      io.stdout.write(`run ${runId} has no checkpoints yet\n`);
      return ExitCode.ok;
    }
    const p = paint(colorEnabled(io.stdout, io.env));
    // A VERSION column once checkpoints name theirs: an upgrade shows as the version changing from one row to the next.
    const withVersion = counted.some((entry) => entry.version !== undefined);
    const header = ['SEQ', 'TIME', 'STATUS', 'CALLS', ...(withVersion ? ['VERSION'] : []), 'STATE'].map((h) => p.dim(h));
    const rows = counted.map((entry) => [
      String(entry.seq),
      localTime(entry.at),
      colorStatus(entry.status, p),
      callCountText(entry.calls),
      ...(withVersion ? [entry.version === undefined ? '-' : shortVersion(entry.version)] : []),
      entry.value === null ? '-' : statePaths(entry.value).join(', '),
    ]);
    io.stdout.write(`${table([header, ...rows]).join('\n')}\n`);
    return ExitCode.ok;
  },
};
