// `harness simulate`: runs the Ollama simulator as a standalone server until SIGINT/SIGTERM.
import { libraryModels, startSimulator } from '../../testing/index.ts';
import { FAULT_KINDS, isFaultKind } from '../../testing/simulator/faults.ts';
import type { FaultKind, Simulator, SimulatorOptions } from '../../testing/simulator/types.ts';
import { type CliIO, type Command, ExitCode, integerFlag, numberFlag, parseFlags, UsageError } from '../command.ts';
import { stopped, untilSignalled } from '../io.ts';
import { listenRefusal, portFlag } from '../listen.ts';

const help = `Usage: harness simulate [options]

Serves Ollama's HTTP API with simulated replies, so workflows, curl and any Ollama client can run
without a model. Replies are deterministic for a seed; structured requests get JSON valid for the
requested schema. Runs until Ctrl+C (SIGINT) or SIGTERM.

Options:
  --port <n>            port to listen on (default 11434; 0 picks a free port)
  --host <h>            address to bind (default 127.0.0.1)
  --seed <n>            seed of every reply and fault (default 1)
  --models <a,b,...>    model names to serve (default: the library of Ollama's popular models, every tag:
                        llama3.x, qwen2.5/qwen3, mistral, gemma2/3, phi3/phi4, deepseek-r1, nomic-embed-text, …;
                        harness models lists them). Any library model can also be pulled (harness pull phi3:mini)
  --load-ms <n>         time to load a model on its first request (default 0)
  --ttft-ms <n>         time before the first token (default 0)
  --per-token-ms <n>    time per token (default 0)
  --reply-tokens <n>    length of synthesized text replies (default 24)
  --num-parallel <n>    requests generated at once per model, like OLLAMA_NUM_PARALLEL (default 1)
  --max-queue <n>       waiting requests beyond which the reply is 503 busy (default 512)
  --context-length <n>  the num_ctx of a request that sets none, like OLLAMA_CONTEXT_LENGTH (default 4096);
                        a longer prompt is cut as Ollama cuts it, silently (counted in /_simulator/stats)
  --fault-rate <r>      share of chat/generate requests that fail, 0..1 (default 0)
  --faults <k,...>      kinds of failure to inject (default all): ${FAULT_KINDS.join(', ')}
  --cassette <file>     replay exchanges recorded by \`harness record\` instead of simulating; a request
                        the cassette lacks gets a 500 naming the nearest recorded one
  --cassette-timing <t> none (default), recorded, or a factor of the recorded times (0.5: twice as fast)

Also: GET /_simulator/stats for counters, POST /_simulator/reset to zero them.`;

const DEFAULT_PORT = 11434;

/** Reads the flags into simulator options; throws UsageError for anything wrong. */
export function simulatorOptions(argv: string[]): SimulatorOptions {
  const { values, positionals } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    seed: { type: 'string' },
    models: { type: 'string' },
    'load-ms': { type: 'string' },
    'ttft-ms': { type: 'string' },
    'per-token-ms': { type: 'string' },
    'reply-tokens': { type: 'string' },
    'num-parallel': { type: 'string' },
    'max-queue': { type: 'string' },
    'context-length': { type: 'string' },
    'fault-rate': { type: 'string' },
    faults: { type: 'string' },
    cassette: { type: 'string' },
    'cassette-timing': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`simulate takes no arguments, got "${positionals.join(' ')}"`);
  const port = portFlag('port', values.port, DEFAULT_PORT);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  const options: SimulatorOptions = {
    port,
    host: values.host ?? '127.0.0.1',
    seed,
    latency: {
      loadMs: numberFlag('load-ms', values['load-ms'], 0),
      ttftMs: numberFlag('ttft-ms', values['ttft-ms'], 0),
      perTokenMs: numberFlag('per-token-ms', values['per-token-ms'], 0),
    },
    replyTokens: integerFlag('reply-tokens', values['reply-tokens'], 0) ?? 24,
    numParallel: integerFlag('num-parallel', values['num-parallel'], 1) ?? 1,
    maxQueue: integerFlag('max-queue', values['max-queue'], 0) ?? 512,
    contextLength: integerFlag('context-length', values['context-length'], 1) ?? 4096,
    models: libraryModels(),
  };
  if (values.host === '') throw new UsageError('--host must not be empty');
  if (values.models !== undefined) {
    const models = values.models.split(',').map((m) => m.trim()).filter(Boolean);
    if (models.length === 0) throw new UsageError('--models needs at least one model name');
    options.models = models;
  }
  if (values.faults !== undefined && values['fault-rate'] === undefined) {
    throw new UsageError('--faults needs --fault-rate <r> (the share of requests that fail)');
  }
  if (values['fault-rate'] !== undefined) {
    const rate = numberFlag('fault-rate', values['fault-rate'], 0);
    if (rate > 1) throw new UsageError(`--fault-rate must be between 0 and 1, got "${values['fault-rate']}"`);
    const kinds = (values.faults ?? FAULT_KINDS.join(',')).split(',').map((k) => k.trim()).filter(Boolean);
    const unknown = kinds.filter((k) => !isFaultKind(k));
    if (unknown.length > 0 || kinds.length === 0) {
      throw new UsageError(`--faults: unknown kind "${unknown.join(',')}" (known: ${FAULT_KINDS.join(', ')})`);
    }
    options.faults = { rate, kinds: kinds as FaultKind[] };
  }
  const timing = values['cassette-timing'];
  if (timing !== undefined && values.cassette === undefined) throw new UsageError('--cassette-timing needs --cassette <file>');
  if (values.cassette !== undefined) {
    if (values.cassette.trim() === '') throw new UsageError('--cassette needs a file');
    if (timing === undefined) options.cassette = values.cassette;
    else if (timing === 'none' || timing === 'recorded') options.cassette = { from: values.cassette, timing };
    else if (timing.trim() !== '' && Number.isFinite(Number(timing)) && Number(timing) >= 0) options.cassette = { from: values.cassette, timing: Number(timing) };
    else throw new UsageError(`--cassette-timing must be none, recorded or a non-negative number, got "${timing}"`);
  }
  return options;
}

/** Serves until `stop` aborts, then closes. Separate from `run` so it can be driven without process signals. */
export async function serveSimulator(argv: string[], io: CliIO, stop: AbortSignal): Promise<number> {
  const options = simulatorOptions(argv);
  let sim: Simulator;
  try {
    sim = await startSimulator(options);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    const refusal = listenRefusal(error, options.host ?? '127.0.0.1', options.port ?? DEFAULT_PORT);
    if (refusal) throw refusal;
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(`harness simulate: cannot listen on ${options.host}:${options.port}: ${reason}\n`);
    return ExitCode.failed;
  }
  const replaying = sim.cassette?.stats();
  const source = options.cassette;
  const file = typeof source === 'string' ? source : source !== undefined && !Array.isArray(source) && typeof source.from === 'string' ? source.from : 'entries';
  const what = replaying ? `replaying ${replaying.entries} recorded exchange(s) from ${file}` : 'replies are simulated';
  io.stdout.write(`Ollama simulator listening on ${sim.url} (${what})\n`);
  await stopped(stop);
  const played = sim.cassette?.stats();
  if (played) io.stdout.write(`cassette: ${played.replayed} replayed, ${played.misses} missed, ${played.unused} unused\n`);
  await sim.close();
  return ExitCode.ok;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'serve a simulated Ollama API (deterministic replies, latency, faults) for tests and demos',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${help}\n`);
      return ExitCode.ok;
    }
    return untilSignalled((stop) => serveSimulator(argv, io, stop));
  },
};
