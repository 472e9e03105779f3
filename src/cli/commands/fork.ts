// `harness fork`: a new run from one of a run's checkpoints, reusing the calls made before it, driven like resume.
import { checkContextPatch, driveFork, prepareFork } from '../../runtime/index.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, integerFlag, parseFlags, UsageError } from '../command.ts';
import { driveExitHelp, driveFlags, driveFlagsHelp, driveFromCli } from '../drive-run.ts';
import { parseJsonFlag, readInput } from '../json-arg.ts';
import { openStore } from '../snapshots-dir.ts';

const help = `Usage: harness fork <run-id> --at <seq> [options]

Starts a new run from checkpoint <seq> of the run (see harness history <run-id>) and drives it like
resume. Model calls journaled before that checkpoint are replayed, not paid again; the ones after
it are made anew. The source run is only read. The fork runs on the version (the code) that
checkpoint was written under, even if the run was upgraded since; a run from before versions whose
workflow definition has changed is refused unless the workflow has a migrate().

Options:
  --at <seq>              the checkpoint to start from, as harness history numbers them
  --run-id <id>           the new run's id (default <workflow>-<time>-<hex>)
  --input <json|file>     replace the run's input (inline JSON starting with { or [, else a JSON file):
                          the fork restarts from the start state with it; calls journaled before the
                          checkpoint whose requests are unchanged are reused, the others made anew
  --context-patch <json>  a JSON object merged into the workflow's root context at that checkpoint
                          (a step already running there restarts with the input it had)
${driveFlagsHelp}

${driveExitHelp}`;

export const forkCommand: Command = {
  name: 'fork',
  summary: 'start a new run from one of a run\'s checkpoints (time travel)',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      ...driveFlags,
      at: { type: 'string' },
      'run-id': { type: 'string' },
      input: { type: 'string' },
      'context-patch': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('fork needs exactly one run id: harness fork <run-id> --at <seq>');
    const runId = assertRunId(positionals[0] as string);
    const at = integerFlag('at', values.at, 1);
    if (at === undefined) throw new UsageError(`fork needs --at <seq>: the checkpoint to start from (see harness history ${runId})`);
    const newRunId = values['run-id'] === undefined ? undefined : assertRunId(values['run-id']);
    const input = values.input === undefined ? undefined : readInput(values.input, io.cwd);
    const patch = values['context-patch'] === undefined ? undefined : checkContextPatch(parseJsonFlag('context-patch', values['context-patch']));
    const { store, flag } = openStore(values, io);
    // Every refusal (unknown run or seq, changed definition, bad input or patch) is decided here, before anything is written.
    const plan = await prepareFork({
      store,
      runId,
      at,
      cwd: io.cwd,
      ...(newRunId !== undefined ? { newRunId } : {}),
      ...(input !== undefined ? { input } : {}),
      ...(patch !== undefined ? { contextPatch: patch } : {}),
    });
    if (plan.restarted) {
      io.stderr.write(
        `fork: the new input restarts the run from its start state; of the ${plan.journal.length} call(s) journaled before checkpoint ${at}, ` +
          'those whose requests are unchanged are reused, the others are made anew\n',
      );
    }
    return driveFromCli({
      io,
      runId: plan.meta.runId,
      workflowId: plan.workflow.id,
      json: values.json === true,
      flags: values,
      snapshotsFlag: flag,
      drive: (hooks) => driveFork(plan, { store, ...hooks }),
    });
  },
};
