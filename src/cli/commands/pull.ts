// `harness pull <model>`: fetches a model onto a host through /api/pull, showing its progress; and `run --pull`'s check.
import type { Workflow } from '../../steps/workflow.ts';
import { displayHost } from '../../llm/host.ts';
import { pullModel, type PullOutcome } from '../../llm/models/index.ts';
import { hostsFromEnv, MissingModelsError, missingModelsMessage, preflight } from '../../runtime/preflight.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { assertModelHost, modelHost } from '../host-arg.ts';
import { isTerminal } from '../io.ts';
import { hintOnce } from '../no-ollama.ts';
import { PullProgressView } from '../progress.ts';

const help = `Usage: harness pull <model> [--host <host>]

Pulls <model> (e.g. qwen3:8b) from its registry onto an Ollama host through /api/pull, showing the
progress: on a terminal a bar per layer (percent, bytes, digest), otherwise one plain line per step.

Options:
  --host <host>  the Ollama host to pull onto (default: $OLLAMA_HOST; with $OLLAMA_HOSTS, its first host)

Exit codes: 0 pulled (Ollama said success), 1 the pull failed (Ollama's error is printed, e.g.
"pull model manifest: file does not exist"), or the host could not be reached; 2 bad usage.`;

/** Pulls one model onto `host` (a resolved address), progress on `stream`. */
export async function pullWithProgress(model: string, host: string, stream: NodeJS.WritableStream, signal?: AbortSignal): Promise<PullOutcome> {
  const view = new PullProgressView(stream, isTerminal(stream));
  try {
    return await pullModel(model, { host, onProgress: (progress) => view.update(progress), ...(signal ? { signal } : {}) });
  } finally {
    view.close();
  }
}

/**
 * `harness run`'s check before the run is created: the workflow's models against the host(s). Missing models are
 * refused with one line (exit 2), or pulled first with `pull`; a host that does not answer only warns (an outage
 * parks the run later, it is not a missing model).
 */
export async function checkModels(workflow: Workflow, io: CliIO, options: { pull: boolean; signal?: AbortSignal }): Promise<void> {
  const report = await preflight({ workflow, hosts: hostsFromEnv(io.env) });
  for (const check of report.hosts) {
    if (!check.reachable) {
      io.stderr.write(`harness: warning: cannot check models on ${check.host} (${check.error ?? 'no answer'}); starting anyway\n`);
      hintOnce(io, check.host, check.error ?? '', (hint) => io.stderr.write(`${hint}\n`));
    }
  }
  if (report.unconfirmed.length > 0) {
    io.stderr.write(`harness: warning: not on any host that answered: ${report.unconfirmed.join(', ')}\n`);
  }
  if (report.missing.length === 0) return;
  const message = missingModelsMessage(report);
  if (!options.pull) {
    throw new MissingModelsError(`${message}; pull with 'harness pull <model>' or run with --pull (or --skip-model-check)`, report.missing);
  }
  // Onto the first host: every host answered, so that one is up.
  const target = hostsFromEnv(io.env)[0] ?? '';
  const failed: string[] = [];
  for (const model of report.missing) {
    io.stderr.write(`pulling ${model} onto ${displayHost(target)}\n`);
    const outcome = await pullWithProgress(model, target, io.stderr, options.signal);
    if (!outcome.ok) failed.push(`${model}: ${outcome.error}`);
  }
  if (failed.length > 0) throw new MissingModelsError(`${message}; pull failed: ${failed.join('; ')}`, report.missing);
}

export const pullCommand: Command = {
  name: 'pull',
  summary: 'pull a model onto an Ollama host, with progress',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { host: { type: 'string' } });
    if (positionals.length !== 1 || (positionals[0] ?? '').trim() === '') throw new UsageError('pull needs exactly one model name: harness pull <model>');
    const model = (positionals[0] ?? '').trim();
    if (values.host === undefined) assertModelHost(io.env);
    const host = values.host !== undefined ? modelHost(values.host, '--host') : (hostsFromEnv(io.env)[0] ?? '');
    const outcome = await pullWithProgress(model, host, io.stdout);
    if (outcome.ok) return ExitCode.ok;
    io.stderr.write(`harness: pull ${model} on ${displayHost(host)} failed: ${outcome.error}\n`);
    return ExitCode.failed;
  },
};
