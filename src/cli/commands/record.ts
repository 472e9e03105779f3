// `harness record`: a recording proxy in front of a real Ollama that writes every exchange to a cassette file.
import { startRecorder, type Recorder } from '../../testing/cassette/index.ts';
import { scrubText } from '../../util/secrets.ts';
import { type CliIO, type Command, ExitCode, parseFlags, SettingError, UsageError } from '../command.ts';
import { modelHost } from '../host-arg.ts';
import { listenRefusal, portFlag } from '../listen.ts';
import { stopped, untilSignalled } from '../io.ts';

const help = `Usage: harness record --to <file> [options]

Listens like Ollama and forwards every request to a real Ollama, passing replies (streams too) through
as they arrive, and saves each exchange as one JSON line of <file>: the request, and the reply's status,
content type and body or stream lines with their timing. Replay it with \`harness simulate --cassette <file>\`
or startSimulator({ cassette }). Credentials (user:password@ in the upstream, Authorization headers) are
never saved. Runs until Ctrl+C (SIGINT) or SIGTERM.

Options:
  --to <file>           cassette to write (created, or emptied if it exists)
  --upstream <url>      the Ollama to record (default $OLLAMA_HOST, else http://127.0.0.1:11434)
  --port <n>            port to listen on (default 11435; 0 picks a free port)
  --host <h>            address to bind (default 127.0.0.1)`;

const DEFAULT_PORT = 11435;

/**
 * The flag at fault when the recorder could not start because of what it was given: a cassette that cannot be
 * created (no such directory, a directory, no permission), or an address it cannot listen on. Undefined otherwise.
 */
function badSetting(error: unknown, to: string, host: string, port: number): SettingError | undefined {
  if (error instanceof Error && 'syscall' in error && error.syscall === 'open') {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : 'error';
    return new SettingError(`--to ${JSON.stringify(to)} cannot be written (${code}); give a file in a writable directory`);
  }
  return listenRefusal(error, host, port);
}

/** Records until `stop` aborts, then closes the file. Separate from `run` so it can be driven without signals. */
export async function serveRecorder(argv: string[], io: CliIO, stop: AbortSignal): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    to: { type: 'string' },
    upstream: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`record takes no arguments, got "${positionals.join(' ')}"`);
  if (values.to === undefined || values.to.trim() === '') throw new UsageError('record needs --to <file>, the cassette to write');
  const port = portFlag('port', values.port, DEFAULT_PORT);
  if (values.host === '') throw new UsageError('--host must not be empty');
  const upstream = modelHost(values.upstream ?? io.env.OLLAMA_HOST ?? '', values.upstream !== undefined ? '--upstream' : 'OLLAMA_HOST');
  let recorder: Recorder;
  try {
    recorder = await startRecorder({
      upstream,
      to: values.to,
      port,
      host: values.host ?? '127.0.0.1',
      onExchange: (entry) => io.stdout.write(`${entry.request.method} ${entry.request.path} → ${entry.reply.status}${entry.reply.cut ? ` (cut by ${entry.reply.cut})` : ''}\n`),
    });
  } catch (error) {
    const bad = badSetting(error, values.to, values.host ?? '127.0.0.1', port);
    if (bad !== undefined) throw bad;
    io.stderr.write(`harness record: ${scrubText(error instanceof Error ? error.message : String(error))}\n`);
    return ExitCode.failed;
  }
  io.stdout.write(`Recording ${recorder.upstream} on ${recorder.url} into ${values.to}\n`);
  await stopped(stop);
  await recorder.close();
  io.stdout.write(`${recorder.count()} exchange(s) saved to ${values.to}\n`);
  return ExitCode.ok;
}

export const recordCommand: Command = {
  name: 'record',
  summary: 'record real Ollama exchanges into a cassette file, for replay with simulate --cassette',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${help}\n`);
      return ExitCode.ok;
    }
    return untilSignalled((stop) => serveRecorder(argv, io, stop));
  },
};
