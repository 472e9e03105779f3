// `harness resume`: restores a stopped, crashed or waiting run from its last checkpoint and drives it on.
import { resumeWorkflow } from '../../runtime/index.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, parseFlags, UsageError } from '../command.ts';
import { driveExitHelp, driveFlags, driveFlagsHelp, driveStoredRun } from '../drive-run.ts';

const help = `Usage: harness resume <run-id> [options]

Restores the run from its last checkpoint and drives it on. Model calls that finished before the stop
are replayed from the run's journal, not paid again. The workflow module is loaded from the path the
run was started with (or the same relative path from here, for a moved checkout); a run whose
workflow definition has changed is refused unless the workflow has a migrate().

Options:
${driveFlagsHelp}

${driveExitHelp}`;

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'continue a stopped or crashed run from its last checkpoint',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...driveFlags });
    if (positionals.length !== 1) throw new UsageError('resume needs exactly one run id: harness resume <run-id>');
    const runId = assertRunId(positionals[0] as string);
    return driveStoredRun(runId, values, io, (store, hooks) => resumeWorkflow({ store, runId, cwd: io.cwd, ...hooks }));
  },
};
