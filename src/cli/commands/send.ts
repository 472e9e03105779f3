// `harness send`: delivers an event (a person's APPROVE, its fields on it) to a run and drives it until it settles again.
import type { AnyEventObject } from 'xstate';
import { hasCode } from '../../errors.ts';
import { eventFrom, sendToRun } from '../../runtime/index.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, parseFlags, UsageError } from '../command.ts';
import { driveExitHelp, driveFlags, driveFlagsHelp, driveStoredRun } from '../drive-run.ts';
import { parseJsonFlag } from '../json-arg.ts';

const help = `Usage: harness send <run-id> <EVENT> [--data <json>] [options]

Sends the event { type: EVENT, ...data } to a run (typically one waiting for a person: APPROVE,
REJECT, ...) and drives the run until it finishes or waits again. An event the run's current state
does not accept is refused with the list of events it does accept; a payload that fails the schema
the waiting state declared (waitFor({ events })) is refused with its issues. A refusal changes nothing.

Options:
  --data <json>        the event's fields, a JSON object without "type" (e.g. '{"by":"ann"}')
${driveFlagsHelp}

${driveExitHelp}`;

/** The event, a bad name or payload being a usage error of the command (exit 2, pointing at its help). */
function eventOf(type: string, data: unknown): AnyEventObject {
  try {
    return eventFrom(type, data);
  } catch (error) {
    if (hasCode(error, 'INVALID_INPUT')) throw new UsageError(error.message);
    throw error;
  }
}

export const sendCommand: Command = {
  name: 'send',
  summary: "send an event (e.g. APPROVE) to a run waiting for a person",
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...driveFlags, data: { type: 'string' } });
    if (positionals.length !== 2) throw new UsageError('send needs a run id and an event: harness send <run-id> <EVENT> [--data <json>]');
    const runId = assertRunId(positionals[0] as string);
    const data = values.data === undefined ? undefined : parseJsonFlag('data', values.data);
    const event = eventOf(positionals[1] as string, data);
    return driveStoredRun(runId, values, io, (store, hooks) => sendToRun({ store, runId, cwd: io.cwd, event, ...hooks }));
  },
};
