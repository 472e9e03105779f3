// `harness submit`: validates the input and creates a run without driving it; a `harness worker` takes it up.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadWorkflow } from '../../runtime/index.ts';
import { submitRun } from '../../runtime/runs.ts';
import { assertRunId } from '../../store/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { assertModelHost } from '../host-arg.ts';
import { parseJsonFlag, readInput } from '../json-arg.ts';
import { openStore } from '../snapshots-dir.ts';
import { checkModels } from './pull.ts';
import { connectStore, queueTargetFor, queueUrlOf, storeUrlOf, type UrlSetting } from '../store-url.ts';
import { RunQueue } from '../../worker/queue/index.ts';

const help = `Usage: harness submit <workflow-file> [options]

Checks the input against the workflow's input schema, creates the run in the snapshots directory
without driving it, prints its id and returns at once. A \`harness worker\` on the same directory
takes it up (\`harness resume <run-id>\` also drives it). Bad input writes nothing.

Options:
  --input <json|file>    the run's input: inline JSON starting with { or [, else a JSON file (default {})
  --input-file <file>    the run's input, read from a JSON file
  --run-id <id>          the run's id: 1-64 letters, digits, '-' or '_' (default <workflow>-<time>-<hex>)
  --snapshots <dir>      directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>          postgres://user:pw@host/db[?schema=s]: create the run in PostgreSQL (default:
                         $HARNESS_STORE)
  --queue <url>          redis://host:6379[?prefix=p]: also queue the run for \`harness worker --queue\`
                         (default: $HARNESS_QUEUE; needs --store)
  --skip-model-check     do not ask the host(s) ($OLLAMA_HOSTS, else $OLLAMA_HOST) for the workflow's models
                         first (a host that does not answer only warns: the worker may reach others)

Exit codes: 0 submitted, 2 bad usage or input, a model no host has, or a store or queue out of reach (nothing
written), 3 refused.`;

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
      store: { type: 'string' },
      queue: { type: 'string' },
      'skip-model-check': { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) throw new UsageError('submit needs exactly one workflow file: harness submit <workflow-file>');
    if (values.input !== undefined && values['input-file'] !== undefined) throw new UsageError('give --input or --input-file, not both');
    assertModelHost(io.env); // as run and worker do: a malformed OLLAMA_HOST(S) is exit 2, whether or not models are checked
    const runId = values['run-id'] === undefined ? undefined : assertRunId(values['run-id']);
    const input = values['input-file'] !== undefined ? inputFile(values['input-file'], io.cwd) : readInput(values.input, io.cwd);
    // Missing models are reported before anything is written, as `harness run` does.
    if (values['skip-model-check'] !== true) await checkModels((await loadWorkflow(positionals[0] as string, io.cwd)).workflow, io, { pull: false });
    const queueUrl = queueUrlOf(values.queue, io.env);
    if (queueUrl !== undefined) return submitToQueue(queueUrl, values, io, positionals[0] as string, input, runId);
    const { store } = openStore(values, io);
    const { workflow, modulePath, version } = await loadWorkflow(positionals[0] as string, io.cwd);
    const id = await submitRun({ store, workflow, modulePath, version, input, cwd: io.cwd, ...(runId !== undefined ? { runId } : {}) });
    io.stdout.write(`${id}\n`);
    return ExitCode.ok;
  },
};

/** Queue mode: both services are asked first (nothing is written if either is out of reach), then create, then enqueue. */
async function submitToQueue(
  queueUrl: UrlSetting,
  values: { store?: string | undefined; snapshots?: string | undefined },
  io: CliIO,
  module: string,
  input: unknown,
  runId: string | undefined,
): Promise<number> {
  const storeUrl = storeUrlOf(values.store, io.env);
  if (storeUrl === undefined) throw new UsageError('a queue needs a run store every worker reaches: give --store postgres://… (or HARNESS_STORE)');
  if (values.snapshots !== undefined) throw new UsageError('give --store or --snapshots, not both');
  const target = queueTargetFor(queueUrl.url, queueUrl.label);
  const { workflow, modulePath, version } = await loadWorkflow(module, io.cwd);
  const store = await connectStore(storeUrl.url, {}, storeUrl.label);
  try {
    const queue = await RunQueue.connect(target);
    try {
      const id = await submitRun({ store, workflow, modulePath, version, input, cwd: io.cwd, ...(runId !== undefined ? { runId } : {}) });
      // Should Redis fail here, the run exists all the same: a worker's sweep of the store queues it.
      await queue.enqueue(id, { fresh: true });
      io.stdout.write(`${id}\n`);
      return ExitCode.ok;
    } finally {
      await queue.close();
    }
  } finally {
    await store.end();
  }
}
