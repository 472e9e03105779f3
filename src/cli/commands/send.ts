// `harness send`: delivers an event (a person's APPROVE, with data) to a run and drives it until it settles again.
import { sendToRun } from '../../runtime/index.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, parseFlags, UsageError } from '../command.ts';
import { driveExitHelp, driveFlags, driveFlagsHelp, driveStoredRun } from '../drive-run.ts';
import { parseJsonFlag } from '../json-arg.ts';

const help = `Usage: harness send <run-id> <EVENT> [--data <json>] [options]

Sends the event { type: EVENT, data } to a run (typically one waiting for a person: APPROVE,
REJECT, ...) and drives the run until it finishes or waits again. An event the run's current state
does not accept is refused with the list of events it does accept.

Options:
  --data <json>        JSON kept with the event (e.g. '{"comment":"ship it"}')
${driveFlagsHelp}

${driveExitHelp}`;

export const sendCommand: Command = {
  name: 'send',
  summary: "send an event (e.g. APPROVE) to a run waiting for a person",
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...driveFlags, data: { type: 'string' } });
    if (positionals.length !== 2) throw new UsageError('send needs a run id and an event: harness send <run-id> <EVENT> [--data <json>]');
    const runId = assertRunId(positionals[0] as string);
    const type = positionals[1] as string;
    if (!/^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(type) || type.startsWith('xstate.')) {
      throw new UsageError(`invalid event "${type}": use a name such as APPROVE (letters, digits, '_', '.', ':', '-')`);
    }
    const data = values.data === undefined ? undefined : parseJsonFlag('data', values.data);
    const event = data === undefined ? { type } : { type, data };
    return driveStoredRun(runId, values, io, (store, hooks) => sendToRun({ store, runId, cwd: io.cwd, event, ...hooks }));
  },
};
