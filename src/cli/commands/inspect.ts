// `harness inspect`: serves the local inspector page (runs, live statecharts, calls, actions) until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { startInspector, type Inspector } from '../../inspect/index.ts';
import { startStatelyRelay, type StatelyRelay } from '../../inspect/stately-relay.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { effectiveEnv } from '../config.ts';
import { listenRefusal, portFlag } from '../listen.ts';
import { stopped, untilSignalled } from '../io.ts';
import { openStore, storeFlags, type StoreChoice } from '../snapshots-dir.ts';
import { reachStore, UrlStore } from '../store-url.ts';
import { scrubText } from '../../util/secrets.ts';

const defaultPort = 4777;

const help = `Usage: harness inspect [--port <port>] [--host <address>] [--snapshots <dir> | --store <url>] [--evals <dir>]
       harness inspect --stately [--port <port>]

Serves a page that shows the runs in the snapshots directory (or in PostgreSQL): each run's statechart
with its active states (live, also for runs driven by other processes), its events, its model calls,
its checkpoints and its snapshot. From the page you can resume a run, send it an event with JSON data,
cancel it, or fork a new run from one of its checkpoints. Its Evaluations tab shows the evals of harness
eval: each one's variants, coverage and a cases × variants matrix whose cells open the case's run. The page
needs no internet connection.

Writes (resume, send, cancel, fork) need the token in the printed URL; requests from other origins are refused.
Runs until Ctrl+C (SIGINT) or SIGTERM; runs the page resumed are stopped at a checkpoint (resumable).

With --stately, serves only the relay to Stately's inspector (the one harness run --inspect starts, default
port 8080) until Ctrl+C: open its page once, then send any number of runs to it with
harness run … --inspect-url ws://127.0.0.1:<port>. That page embeds https://stately.ai/inspect and so needs
internet access; offline it says so, and this command without --stately is the inspector to use.

Options:
  --stately          serve the Stately inspector's relay instead of the local page (default port 8080)
  --port <port>      port to listen on (default ${defaultPort}; 0 picks a free one)
  --host <address>   address to bind (default 127.0.0.1: this machine only)
  --snapshots <dir>  directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>      postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL, polled for changes every
                     second (default: $HARNESS_STORE)
  --evals <dir>      the evals to show (default: $HARNESS_EVALS, else ./evals)`;

/** `--stately`: the relay alone, on loopback, until `stop` aborts; runs in other processes send to it. */
export async function serveStatelyRelay(argv: string[], io: CliIO, stop: AbortSignal): Promise<number> {
  const { positionals, values } = parseFlags(argv, { stately: { type: 'boolean', default: false }, port: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`inspect takes no arguments, got "${positionals.join(' ')}"`);
  const port = portFlag('port', values.port, 8080);
  let relay: StatelyRelay;
  try {
    relay = await startStatelyRelay({ port });
  } catch (error) {
    throw listenRefusal(error, '127.0.0.1', port) ?? error;
  }
  io.stdout.write(
    `Stately inspector relay: open ${relay.pageUrl} in a browser with internet access (the page embeds https://stately.ai/inspect;\n` +
      `offline, harness inspect serves the local inspector). Send runs to it: harness run <workflow> --inspect-url ${relay.wsUrl}\n` +
      'Ctrl-C closes it.\n',
  );
  await stopped(stop);
  await relay.close();
  return ExitCode.ok;
}

/** Serves until `stop` aborts, then closes. Separate from `run` so it can be driven without process signals. */
export async function serveInspector(argv: string[], io: CliIO, stop: AbortSignal): Promise<number> {
  const { values, positionals } = parseFlags(argv, { ...storeFlags, port: { type: 'string' }, host: { type: 'string' }, evals: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`inspect takes no arguments, got "${positionals.join(' ')}"`);
  const port = portFlag('port', values.port, defaultPort);
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('--host must not be empty');
  const { store, storeLabel } = openStore(values, io);
  if (values.evals !== undefined && values.evals.trim() === '') throw new UsageError('--evals must not be empty');
  const evals = resolve(io.cwd, values.evals ?? (effectiveEnv(io).HARNESS_EVALS?.trim() || 'evals'));
  try {
    // Asked now, so a database out of reach is one STORE_UNAVAILABLE line rather than a page of errors.
    if (store instanceof UrlStore) await reachStore(store, storeLabel);
    return await serve(store, host, port, evals, io, stop);
  } finally {
    if (store instanceof UrlStore) await store.end();
  }
}

async function serve(store: StoreChoice['store'], host: string, port: number, evals: string, io: CliIO, stop: AbortSignal): Promise<number> {
  let inspector: Inspector;
  try {
    inspector = await startInspector({
      store,
      host,
      port,
      cwd: io.cwd,
      evals,
      onDriveError: (runId, error) => io.stderr.write(`harness inspect: run ${runId}: ${scrubText(error instanceof Error ? error.message : String(error))}\n`),
    });
  } catch (error) {
    const refusal = listenRefusal(error, host, port);
    if (refusal) throw refusal;
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(`harness inspect: cannot listen on ${host}:${port}: ${reason}\n`);
    return ExitCode.failed;
  }
  io.stdout.write(`Inspector for runs in ${store.location}\nOpen ${inspector.pageUrl}\n`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    io.stderr.write(`harness inspect: warning: bound to ${host}; anyone who can reach it can read runs (writes still need the token)\n`);
  }
  await stopped(stop);
  io.stderr.write('harness inspect: closing; runs this page drives stop at a checkpoint (Ctrl-C again to quit now)\n');
  await inspector.close();
  return ExitCode.ok;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'serve a local page showing runs live: statecharts, calls, timeline, history; resume, send, cancel, fork',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    if (argv.includes('--stately')) return untilSignalled((stop) => serveStatelyRelay(argv, io, stop));
    // Runs the page resumed or sent events to stop at a checkpoint on close; quitting at once leaves them resumable.
    const quit = () => io.stderr.write('quit at once: runs this page was driving are left at their last checkpoint; harness ls lists them, harness resume <run-id> continues one\n');
    return untilSignalled((stop) => serveInspector(argv, io, stop), quit);
  },
};
