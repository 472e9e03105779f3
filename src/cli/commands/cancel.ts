// `harness cancel`: ends a run for good (waiting, stopped, or being driven by another process).
import { cancelRun } from '../../runtime/index.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { openStore, storeFlags } from '../snapshots-dir.ts';

const help = `Usage: harness cancel <run-id> [--json] [--snapshots <dir> | --store <url>]

Marks the run cancelled; a cancelled run cannot be resumed or sent events. If another process is
driving the run, it is asked to stop at its next checkpoint and this command waits for it (10 s).

Options:
  --json             print the cancelled run record as JSON
  --snapshots <dir>  directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>      postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)

Exit codes: 0 cancelled, 2 bad run id or run not found, 3 refused (run already finished, corrupt
run file, or the driving process did not stop in time).`;

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'cancel a run for good',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...storeFlags, json: { type: 'boolean', default: false } });
    if (positionals.length !== 1) throw new UsageError('cancel needs exactly one run id: harness cancel <run-id>');
    const runId = assertRunId(positionals[0] as string);
    const { store } = openStore(values, io);
    const was = (await store.read(runId)).status;
    const record = await cancelRun(store, runId);
    if (values.json) io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    else io.stdout.write(`cancelled run ${runId} (it was ${was})\n`);
    return ExitCode.ok;
  },
};
