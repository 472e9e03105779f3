// `harness worker`: drives every run of the snapshots directory that needs it, until SIGINT or SIGTERM.
import { HostSet } from '../../llm/hosts.ts';
import { scrubText } from '../../util/secrets.ts';
import { hostLimiter } from '../../runtime/index.ts';
import { startWorker, type WorkerEvent } from '../../worker/index.ts';
import { RunQueue, startQueueWorker, type QueueWorkerEvent } from '../../worker/queue/index.ts';
import { type CliIO, type Command, ExitCode, integerFlag, parseFlags, UsageError } from '../command.ts';
import { assertModelHost } from '../host-arg.ts';
import { interruptedExitCode } from '../print-run.ts';
import { msSetting } from '../config.ts';
import { openStore } from '../snapshots-dir.ts';
import { connectStore, queueTargetFor, queueUrlOf, reachStore, storeUrlOf, UrlStore } from '../store-url.ts';

const help = `Usage: harness worker [options]

Drives, until SIGINT or SIGTERM, every run of the snapshots directory that needs driving: submitted
runs, runs whose process died (once their lock is free or stale), waiting runs whose deadline fell
due, and parked runs at their retry time. Stopped and finished runs are left alone. Several workers
may share one directory: each run's lock lets only one drive it. Prints a line per run taken up and
left. The first signal stops gracefully (in-flight calls finish and are journaled, for --stop-grace-ms
at most; the runs are left for another worker); a second quits at once.

Options:
  --snapshots <dir>    directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --concurrency <n>    runs driven at once (default 4)
  --poll-ms <n>        longest pause between two looks at the directory, in ms (default 1000)
  --park-after <ms>    ride out an unreachable Ollama host this long before parking a run (default
                       180000, or the workflow's own)
  --stop-grace-ms <ms> on SIGTERM/SIGINT, wait this long for calls in flight (default 30000, or the
                       config file's stopGraceMs); then cut them off: whoever drives the run next makes
                       them again
  --store <url>        postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)
  --queue <url>        redis://host:6379[?prefix=p]: take runs from a BullMQ queue on Redis instead of
                       polling (default: $HARNESS_QUEUE; needs --store). Workers on many machines share it.
  --takeover-ms <n>    queue mode: a dead worker's runs are driven again within about 1.5 times this
                       plus a second (BullMQ job lock and run-store lease; default 30000)
  --sweep-ms <n>       queue mode: how often the store is swept for runs no job stands for: submitted
                       without a queue, left waiting with a deadline by \`send\` (default 15000; 0: never)

Exit codes: 0 stopped by a signal, 2 bad usage or a store or queue out of reach at start.`;

/** `leave <id> <status>`, with the next wake-up, and the calls a stop cut off (made again by the next driver). */
function leaveLine(event: Extract<WorkerEvent | QueueWorkerEvent, { type: 'leave' }>): { text: string; error: boolean } {
  const wakes = event.wakeAt !== null ? ` (wakes ${new Date(event.wakeAt).toISOString()})` : '';
  const cut = event.cutOff ? ` (cut off, made again: ${event.cutOff.join(', ')})` : '';
  return { text: `leave  ${event.runId} ${event.status}${wakes}${cut}`, error: false };
}

function queueLine(event: QueueWorkerEvent): { text: string; error: boolean } {
  const at = (ms: number) => new Date(ms).toISOString();
  switch (event.type) {
    case 'take':
      return { text: `take   ${event.runId}`, error: false };
    case 'leave':
      return leaveLine(event);
    case 'later':
      return { text: `later  ${event.runId} at ${at(event.at)} (${event.why})`, error: false };
    case 'skip':
      return { text: `skip   ${event.runId} (${event.why})`, error: false };
    case 'fenced':
      return { text: `fenced ${event.runId}: ${event.message} (stopped driving it)`, error: true };
    case 'refuse':
      return { text: `refuse ${event.runId} ${event.code}: ${event.message} (job failed with this reason)`, error: true };
    case 'error':
      return { text: `error  ${event.runId ?? '-'}: ${event.message}`, error: true };
  }
}

function line(event: WorkerEvent): { text: string; error: boolean } {
  const at = (ms: number) => new Date(ms).toISOString();
  switch (event.type) {
    case 'take':
      return { text: `take   ${event.runId} (${event.reason})`, error: false };
    case 'leave':
      return leaveLine(event);
    case 'refuse':
      return { text: `refuse ${event.runId} ${event.code}: ${event.message} (left as is; next try ${at(event.retryAt)})`, error: true };
    case 'error':
      return { text: `error  ${event.runId ?? '-'}: ${event.message}`, error: true };
  }
}

export const workerCommand: Command = {
  name: 'worker',
  summary: 'drive submitted, orphaned, due and parked runs until stopped',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      snapshots: { type: 'string' },
      concurrency: { type: 'string' },
      'poll-ms': { type: 'string' },
      'park-after': { type: 'string' },
      'stop-grace-ms': { type: 'string' },
      store: { type: 'string' },
      queue: { type: 'string' },
      'takeover-ms': { type: 'string' },
      'sweep-ms': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`worker takes no arguments, got "${positionals.join(' ')}"`);
    const concurrency = integerFlag('concurrency', values.concurrency, 1);
    const pollMs = integerFlag('poll-ms', values['poll-ms'], 1);
    const parkAfterMs = integerFlag('park-after', values['park-after'], 0);
    const stopGraceMs = integerFlag('stop-grace-ms', msSetting(values['stop-grace-ms'], 'stopGraceMs', io), 0);
    const takeoverMs = integerFlag('takeover-ms', values['takeover-ms'], 1000);
    const sweepMs = integerFlag('sweep-ms', values['sweep-ms'], 0);
    assertModelHost(io.env);
    const queueUrl = queueUrlOf(values.queue, io.env);
    if (queueUrl !== undefined) {
      const storeUrl = storeUrlOf(values.store, io.env);
      if (storeUrl === undefined) throw new UsageError('a queue needs a run store every worker reaches: give --store postgres://… (or HARNESS_STORE)');
      if (values.snapshots !== undefined) throw new UsageError('give --store or --snapshots, not both');
      const target = queueTargetFor(queueUrl.url, queueUrl.label);
      const store = await connectStore(storeUrl.url, takeoverMs !== undefined ? { leaseMs: takeoverMs } : {}, storeUrl.label);
      try {
        await (await RunQueue.connect(target)).close();
        const worker = startQueueWorker({
          store,
          queue: target,
          limiter: hostLimiter(io.env),
          hosts: io.env.OLLAMA_HOSTS?.trim() ? HostSet.fromEnv(io.env) : null,
          cwd: io.cwd,
          ...(concurrency !== undefined ? { concurrency } : {}),
          ...(takeoverMs !== undefined ? { lockMs: takeoverMs } : {}),
          ...(sweepMs !== undefined ? { sweepMs } : {}),
          ...(parkAfterMs !== undefined ? { outage: { parkAfterMs } } : {}),
          ...(stopGraceMs !== undefined ? { stopGraceMs } : {}),
          onEvent: (event) => {
            const { text, error } = queueLine(event);
            (error ? io.stderr : io.stdout).write(`${scrubText(text)}\n`);
          },
        });
        io.stderr.write(`worker ${process.pid} on ${store.location}, queue ${target.location}\n`);
        await serveUntilSignal(io, () => worker.stop());
      } finally {
        await store.end();
      }
      io.stderr.write('worker stopped\n');
      return ExitCode.ok;
    }
    const { store, storeLabel } = openStore(values, io);
    // A store out of reach at start is a bad setting (exit 2); one that goes away later is ridden out run by run.
    if (store instanceof UrlStore) {
      await reachStore(store, storeLabel).catch(async (error: unknown) => {
        await store.end().catch(() => undefined);
        throw error;
      });
    }

    const worker = startWorker({
      store,
      limiter: hostLimiter(io.env),
      hosts: io.env.OLLAMA_HOSTS?.trim() ? HostSet.fromEnv(io.env) : null,
      cwd: io.cwd,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(pollMs !== undefined ? { pollMs } : {}),
      ...(parkAfterMs !== undefined ? { outage: { parkAfterMs } } : {}),
      ...(stopGraceMs !== undefined ? { stopGraceMs } : {}),
      onEvent: (event) => {
        const { text, error } = line(event);
        (error ? io.stderr : io.stdout).write(`${scrubText(text)}\n`);
      },
    });
    io.stderr.write(`worker ${process.pid} on ${store.dir}\n`);
    await serveUntilSignal(io, () => worker.stop());
    io.stderr.write('worker stopped\n');
    return ExitCode.ok;
  },
};

/** Serves until SIGINT or SIGTERM, then stops gracefully; a second signal quits at once. */
async function serveUntilSignal(io: CliIO, stop: () => Promise<void>): Promise<void> {
  let stopping = false;
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  await new Promise<void>((resolve) => {
    onSignal = (signal) => {
      if (stopping) {
        io.stderr.write(`${signal}: quitting at once; runs in flight stay at their last checkpoint and are taken up again (calls in flight made again) once their locks are seen dead\n`);
        process.exit(interruptedExitCode);
      }
      stopping = true;
      io.stderr.write(`${signal}: stopping; in-flight calls finish, runs are left for another worker (again to quit now)\n`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await stop();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
