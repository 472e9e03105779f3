// `harness submit`: validates the input and creates a run without driving it; a `harness worker` takes it up.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadWorkflow } from '../../runtime/index.ts';
import { submitRun } from '../../runtime/runs.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { parseJsonFlag, readInput } from '../json-arg.ts';
import { openStore } from '../snapshots-dir.ts';

const help = `Usage: harness submit <workflow-file> [options]

Checks the input against the workflow's input schema, creates the run in the snapshots directory
without driving it, prints its id and returns at once. A \`harness worker\` on the same directory
takes it up (\`harness resume <run-id>\` also drives it). Bad input writes nothing.

Options:
  --input <json|file>    the run's input: inline JSON starting with { or [, else a JSON file (default {})
  --input-file <file>    the run's input, read from a JSON file
  --run-id <id>          the run's id: 1-64 letters, digits, '-' or '_' (default <workflow>-<time>-<hex>)
  --snapshots <dir>      directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)

Exit codes: 0 submitted, 2 bad usage or input (nothing written), 3 refused.`;

function inputFile(path: string, cwd: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new UsageError(`--input-file ${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseJsonFlag('input-file', text);
}

export const submitCommand: Command = {
  name: 'submit',
  summary: 'create a run for a worker to drive, and return at once',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      input: { type: 'string' },
      'input-file': { type: 'string' },
      'run-id': { type: 'string' },
      snapshots: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('submit needs exactly one workflow file: harness submit <workflow-file>');
    if (values.input !== undefined && values['input-file'] !== undefined) throw new UsageError('give --input or --input-file, not both');
    const runId = values['run-id'] === undefined ? undefined : assertRunId(values['run-id']);
    const input = values['input-file'] !== undefined ? inputFile(values['input-file'], io.cwd) : readInput(values.input, io.cwd);
    const { store } = openStore(values, io);
    const { workflow, modulePath } = await loadWorkflow(positionals[0] as string, io.cwd);
    const id = await submitRun({ store, workflow, modulePath, input, cwd: io.cwd, ...(runId !== undefined ? { runId } : {}) });
    io.stdout.write(`${id}\n`);
    return ExitCode.ok;
  },
};
