// Drives a run from the command line: live view, Ctrl-C handling, the final record printed, and the exit code.
import { startStatelyBridge, type StatelyBridge } from '../inspect/stately.ts';
import type { CallEvent } from '../steps/services.ts';
import { hintOnRefusedCall } from './no-ollama.ts';
import { HostSet } from '../llm/hosts.ts';
import { defaultStopGraceMs, hostLimiter, type DriveHooks } from '../runtime/index.ts';
import type { RunRecord, RunStore } from '../store/index.ts';
import { scrubUrl } from '../util/secrets.ts';
import { integerFlag, SettingError, type CliIO } from './command.ts';
import { portFlag } from './listen.ts';
import { assertModelHost } from './host-arg.ts';
import { colorEnabled, paint } from './io.ts';
import { LiveView } from './live-view.ts';
import { openStore } from './snapshots-dir.ts';
import { otelWanted } from '../telemetry/cli.ts';
import { contentEnabled } from '../telemetry/types.ts';
import { effectiveEnv, msSetting } from './config.ts';
import { continueLines, exitCodeFor, interruptedExitCode, resumeCommand, summaryLines } from './print-run.ts';

/** Flags of every command that drives a run (run, resume, send). */
export const driveFlags = {
  json: { type: 'boolean', default: false },
  snapshots: { type: 'string' },
  store: { type: 'string' },
  fsync: { type: 'boolean', default: false },
  'park-after': { type: 'string' },
  'stop-grace-ms': { type: 'string' },
  inspect: { type: 'boolean', default: false },
  'inspect-port': { type: 'string' },
  'inspect-url': { type: 'string' },
  otel: { type: 'boolean', default: false },
} as const;

export const driveFlagsHelp = `  --json               print only the final run record as JSON on stdout (the live view goes to stderr)
  --snapshots <dir>    directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>        postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)
  --fsync              fsync every checkpoint: durable against power loss, slower
  --park-after <ms>    ride out an unreachable or overloaded Ollama host this long (default 180000, or the
                       workflow's own), retrying with backoff; then park the run (exit 75) to resume later
  --stop-grace-ms <ms> on Ctrl-C, wait this long for calls in flight (default 30000, or the config file's
                       stopGraceMs); then cut them off (named on stderr) and stop: they are made again on resume
  --inspect            send the run to Stately's inspector: starts the relay on --inspect-port (default 8080);
                       open the printed http://localhost:<port> page (it embeds stately.ai/inspect: needs internet;
                       offline, use harness inspect). The relay stays up after the run ends or waits, until Ctrl-C
  --inspect-url <ws>   send to a relay already running at ws://host:port instead (e.g. harness inspect --stately)
  --otel               export OpenTelemetry spans (run, model calls) over OTLP/HTTP to $OTEL_EXPORTER_OTLP_ENDPOINT
                       (default http://localhost:4318; on whenever that is set); HARNESS_OTEL_CONTENT=1 adds prompts/replies`;

/** What a stop that could not wait for every call says: which calls were cut off, to be made again on resume. */
export function cutOffLine(cutOff: readonly string[], graceMs: number | undefined): string {
  return `stop: waited ${graceMs ?? defaultStopGraceMs} ms for calls in flight; cut off, made again on resume: ${cutOff.join(', ')}`;
}

/** The parsed values of `driveFlags` that concern the Stately inspector. */
export interface InspectFlags {
  inspect?: boolean | undefined;
  'inspect-port'?: string | undefined;
  'inspect-url'?: string | undefined;
  'park-after'?: string | undefined;
  'stop-grace-ms'?: string | undefined;
  otel?: boolean | undefined;
}

export const driveExitHelp = `Exit codes: 0 done or waiting for a person, 1 flagged or failed, 2 bad usage or input (or run not
found), 3 refused (run locked by another process, definition changed, corrupt run file, run finished),
75 parked (an Ollama host stayed unreachable: resume it later, or let a worker), 130 stopped by Ctrl-C
(the calls in flight finish and are kept, for --stop-grace-ms at most; a second Ctrl-C quits at once; the run
can be resumed).`;

/** The hooks a driving command hands to the runtime verb. */
export type LiveHooks = Pick<DriveHooks, 'signal' | 'stopGraceMs' | 'onStop' | 'onCall' | 'onCheckpoint' | 'inspect' | 'limiter' | 'hosts' | 'outage' | 'telemetry'>;

export interface DriveRequest {
  io: CliIO;
  runId: string;
  workflowId: string;
  json: boolean;
  /** --snapshots as typed, repeated in the follow-up commands we print. */
  snapshotsFlag: string | undefined;
  /** The command's parsed flags, for `--inspect`. */
  flags?: InspectFlags;
  /** Calls the runtime verb (runWorkflow, resumeWorkflow, sendToRun) with the hooks. */
  drive(hooks: LiveHooks): Promise<RunRecord>;
}

/** Starts the Stately bridge when asked for; a bad port or an unreachable relay is a usage error. */
async function statelyBridge(flags: InspectFlags | undefined, io: CliIO): Promise<StatelyBridge | null> {
  if (!flags?.inspect && flags?.['inspect-url'] === undefined) return null;
  const port = portFlag('inspect-port', flags['inspect-port'], 8080, 1);
  const url = flags['inspect-url'];
  if (url !== undefined && !/^wss?:\/\/[^/?#\s]+/.test(url)) {
    throw new SettingError(`--inspect-url ${JSON.stringify(scrubUrl(url))} is not a ws:// (or wss://) URL with a host, e.g. ws://127.0.0.1:8080`);
  }
  const bridge = await startStatelyBridge(flags['inspect-url'] !== undefined ? { url: flags['inspect-url'] } : { port });
  const where = bridge.viewerUrl
    ? `open ${bridge.viewerUrl} in a browser with internet access (the page embeds https://stately.ai/inspect; offline, harness inspect serves the local inspector)`
    : `sending to the relay at ${flags['inspect-url']}`;
  io.stderr.write(`Stately inspector: ${where}\n`);
  return bridge;
}

export async function driveFromCli(request: DriveRequest): Promise<number> {
  const { io, runId, json } = request;
  const env = effectiveEnv(io); // flags, then the environment, then harness.config.*
  assertModelHost(env); // a malformed OLLAMA_HOST is refused before the run (and its file) is created
  const view = new LiveView({ stream: json ? io.stderr : io.stdout, env: io.env, runId, workflow: request.workflowId });

  // First signal: stop after a checkpoint, leaving the run resumable. Second: leave at once (the lock goes stale
  // with this process, so the run can still be resumed from its last checkpoint).
  const controller = new AbortController();
  // Set once the drive returned: a signal then ends the command with the summary, or closes the relay kept open.
  let afterDrive: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (afterDrive) return afterDrive();
    if (controller.signal.aborted) {
      io.stderr.write(`quit at once: run ${runId} is left at its last checkpoint; calls in flight are made again when you resume it:\n  ${resumeCommand(runId, request.snapshotsFlag)}\n`);
      process.exit(interruptedExitCode);
    }
    view.note(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping run ${runId} at a checkpoint (press Ctrl-C again to quit now)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // One limiter per process: every call this command makes shares HARNESS_HOST_CONCURRENCY per host.
  const onCall = (event: CallEvent) => {
    view.onCall(event);
    hintOnRefusedCall(io, event, (hint) => view.note(hint));
  };
  const hooks: LiveHooks = { signal: controller.signal, onCall, onCheckpoint: view.onCheckpoint, limiter: hostLimiter(env) };
  // Several hosts (OLLAMA_HOSTS): calls are routed among the ones that have the model, and fail over.
  if (env.OLLAMA_HOSTS?.trim()) hooks.hosts = HostSet.fromEnv(env);
  const parkAfterMs = integerFlag('park-after', msSetting(request.flags?.['park-after'], 'parkAfterMs', io), 0);
  if (parkAfterMs !== undefined) hooks.outage = { parkAfterMs };
  const stopGraceMs = integerFlag('stop-grace-ms', msSetting(request.flags?.['stop-grace-ms'], 'stopGraceMs', io), 0);
  if (stopGraceMs !== undefined) hooks.stopGraceMs = stopGraceMs;
  // Said once the live view is closed, beside the summary: which calls the stop cut off.
  let cutOff: string[] = [];
  hooks.onStop = (report) => {
    cutOff = report.cutOff;
  };
  hooks.telemetry = { content: contentEnabled(undefined, io.env) };
  let bridge: StatelyBridge | null = null;
  let otel: { shutdown(): Promise<void> } | null = null;
  // The handlers stay until the command ends: a Ctrl-C at any moment says how the run can go on.
  try {
    let record: RunRecord;
    try {
      // The SDK and exporter are loaded only when asked for: without them the spans are the API's no-ops.
      if (otelWanted(request.flags?.otel, io.env)) otel = (await import('../telemetry/sdk.ts')).startOtlpTracing(io.env);
      bridge = await statelyBridge(request.flags, io);
      if (bridge) hooks.inspect = bridge.inspect;
      record = await request.drive(hooks);
      const done = record;
      afterDrive = () => {
        view.close();
        printOutcome(request, done, cutOff, stopGraceMs);
        process.exit(exitCodeFor(done.status));
      };
    } finally {
      await otel?.shutdown(); // flushes the spans before the command exits
      await bridge?.detach();
      view.close();
    }
    printOutcome(request, record, cutOff, stopGraceMs);
    const code = exitCodeFor(record.status);
    afterDrive = () => process.exit(code); // said all there is to say
    // A run ends or starts waiting in seconds, before anyone has opened the page: the relay started here stays up,
    // replaying the whole run to a page opened late, until Ctrl-C. Not after a stop: Ctrl-C already said "leave".
    const relay = bridge?.relay ?? null;
    if (relay && !controller.signal.aborted) {
      io.stderr.write(`Stately inspector: the relay stays up so you can look at the run: open ${relay.pageUrl} (needs internet access; offline: harness inspect). Ctrl-C closes it.\n`);
      await new Promise<void>((resolve) => {
        afterDrive = resolve;
      });
    }
    return code;
  } finally {
    await bridge?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What a driving command prints when the drive is over: the calls a stop cut off, the summary, how to go on. */
function printOutcome(request: DriveRequest, record: RunRecord, cutOff: string[], stopGraceMs: number | undefined): void {
  const { io } = request;
  if (cutOff.length > 0) io.stderr.write(`${cutOffLine(cutOff, stopGraceMs)}\n`);
  const next = continueLines(record, request.snapshotsFlag);
  if (request.json) {
    io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    if (next.length > 0) io.stderr.write(`${next.join('\n')}\n`);
  } else {
    const p = paint(colorEnabled(io.stdout, io.env));
    io.stdout.write(`${[...summaryLines(record, p), ...next].join('\n')}\n`);
  }
}

/** The parsed `driveFlags` values of a command that drives an existing run. */
export type DriveFlagValues = InspectFlags & { json?: boolean | undefined; snapshots?: string | undefined; fsync?: boolean | undefined };

/** Drives a run that already has a file (resume, send): not found (2) or corrupt (3) is reported before anything else. */
export async function driveStoredRun(
  runId: string,
  values: DriveFlagValues,
  io: CliIO,
  drive: (store: RunStore, hooks: LiveHooks) => Promise<RunRecord>,
): Promise<number> {
  const { store, flag } = openStore(values, io);
  const before = await store.read(runId);
  return driveFromCli({
    io,
    runId,
    workflowId: before.workflow.id,
    json: values.json === true,
    flags: values,
    snapshotsFlag: flag,
    drive: (hooks) => drive(store, hooks),
  });
}
