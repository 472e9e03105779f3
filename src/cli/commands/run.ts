// `harness run`: loads a workflow module, starts a run with the given input, and drives it with a live view.
import { loadWorkflow, runWorkflow } from '../../runtime/index.ts';
import { assertRunId, newRunId } from '../../store/index.ts';
import { type CliIO, type Command, integerFlag, parseFlags, UsageError } from '../command.ts';
import { driveExitHelp, driveFlags, driveFlagsHelp, driveFromCli } from '../drive-run.ts';
import { readInput } from '../json-arg.ts';
import { checkModels } from './pull.ts';
import { openStore } from '../snapshots-dir.ts';

const help = `Usage: harness run <workflow-file> [options]

Starts a run of the workflow exported by <workflow-file> (a module whose default export is made with
defineWorkflow) and drives it until it finishes, waits for a person, or is stopped with Ctrl-C.
Every step is checkpointed to <snapshots>/<run-id>/ (run.json, journal.ndjson, history.ndjson). Models are
reached at $OLLAMA_HOST, or routed among $OLLAMA_HOSTS (a comma-separated list, each host[*slots]).

Options:
  --input <json|file>  the run's input: inline JSON starting with { or [, else a JSON file (default {})
  --run-id <id>        the run's id: 1-64 letters, digits, '-' or '_' (default <workflow>-<time>-<hex>)
  --budget-tokens <n>  stop calling models once n tokens (in + out) are spent; the step is flagged
  --budget-ms <n>      the same for wall time spent being driven, in milliseconds
  --seed <n>           a number kept with the run for your own reproducibility (default 1); the
                       harness seeds backoff jitter per step pass, not from it
  --pull               pull the workflow's missing models onto the (first) host first (see harness pull)
  --skip-model-check   start without asking the host(s) for every model the workflow can call (by
                       default a missing model is refused before the run is created: exit 2)
${driveFlagsHelp}

${driveExitHelp}`;

export const runCommand: Command = {
  name: 'run',
  summary: 'start a workflow run and drive it until it finishes or waits for a person',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      ...driveFlags,
      input: { type: 'string' },
      'run-id': { type: 'string' },
      'budget-tokens': { type: 'string' },
      'budget-ms': { type: 'string' },
      seed: { type: 'string' },
      pull: { type: 'boolean', default: false },
      'skip-model-check': { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) throw new UsageError('run needs exactly one workflow file: harness run <workflow-file>');
    // Everything the user typed is checked before the module is imported or any file is written.
    const runIdFlag = values['run-id'] === undefined ? undefined : assertRunId(values['run-id']);
    const budget: { tokens?: number; wallMs?: number } = {};
    const tokens = integerFlag('budget-tokens', values['budget-tokens'], 1);
    const wallMs = integerFlag('budget-ms', values['budget-ms'], 1);
    if (tokens !== undefined) budget.tokens = tokens;
    if (wallMs !== undefined) budget.wallMs = wallMs;
    const seed = integerFlag('seed', values.seed, 0);
    const input = readInput(values.input, io.cwd);
    const { store, flag } = openStore(values, io);

    const { workflow, modulePath, version } = await loadWorkflow(positionals[0] as string, io.cwd);
    const runId = runIdFlag ?? newRunId(workflow.id);
    return driveFromCli({
      io,
      runId,
      workflowId: workflow.id,
      json: values.json === true,
      flags: values,
      snapshotsFlag: flag,
      drive: async (hooks) => {
        // Every model the workflow can call is on a host before the run (and its file) exists, unless skipped.
        const check = values['skip-model-check'] !== true || values.pull === true;
        if (check) await checkModels(workflow, io, { pull: values.pull === true, ...(hooks.signal ? { signal: hooks.signal } : {}) });
        return runWorkflow({
          store,
          workflow,
          modulePath,
          version,
          input,
          runId,
          cwd: io.cwd,
          ...(Object.keys(budget).length > 0 ? { budget } : {}),
          ...(seed !== undefined ? { seed } : {}),
          ...hooks,
        });
      },
    });
  },
};
