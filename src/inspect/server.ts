// The local inspector: a small HTTP server with JSON reads, token-guarded writes, and live change news over SSE.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyEventObject } from 'xstate';
import { isHarnessError } from '../errors.ts';
import { displayHost, resolveHost } from '../llm/host.ts';
import { HostSet } from '../llm/hosts.ts';
import { cancelRun, driveFork, eventFrom, hostLimiter, prepareFork, resumeWorkflow, sendToRun } from '../runtime/index.ts';
import { isBehind, sourceOf, upgradeRun } from '../runtime/upgrade.ts';
import { assertRunId, versionOf, type RunRecord, type RunStore } from '../store/index.ts';
import { scrubText } from '../util/secrets.ts';
import { callDetail } from './call-detail.ts';
import { CallRelay, type CallNews } from './call-relay.ts';
import { BackgroundDrives } from './drives.ts';
import { followRuns } from './follow.ts';
import { evalsApi } from './evals.ts';
import { forkRequestOf, historyView } from './fork.ts';
import { baseHeaders, HttpError, readJsonBody, sendError, sendJson, statusOf } from './http.ts';
import { isPageFile, sendPageFile } from './page-files.ts';
import { allowedHosts, newToken, refuseHost, refuseWrite } from './security.ts';
import { filterRuns, runFilterOf } from './run-filter.ts';
import { runView } from './view.ts';

export interface InspectorOptions {
  /** Any run store: a FileStore's run files are watched; any other store (PostgreSQL) is polled with `list()`. */
  store: RunStore;
  /** Default 127.0.0.1: only this machine can reach the page. */
  host?: string;
  /** Default 0 (an ephemeral port, read it back from `Inspector.port`). */
  port?: number;
  /** Default: a fresh random token. Writes must send it in the `x-harness-token` header. */
  token?: string;
  /** Where workflow modules of resumed runs are looked up when they moved (see workflowOf). */
  cwd?: string;
  /** Poll interval: of the run-file watcher's fallback, or of the listing of a store without files. Default 1000 ms. */
  pollMs?: number;
  /** A background drive (resume, send, fork) failed after it had started. */
  onDriveError?: (runId: string, error: unknown) => void;
  /** A directory of evals (`harness eval --evals`): their reports and case runs are served read-only. */
  evals?: string;
}

export interface Inspector {
  /** Base URL, e.g. `http://127.0.0.1:4777`. */
  url: string;
  /** The page with its token, the address to open (and print). */
  pageUrl: string;
  host: string;
  port: number;
  token: string;
  /** Stops background drives (after a checkpoint: resumable), live streams, the watcher and the server. */
  close(): Promise<void>;
}

const heartbeatMs = 15_000;

export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const { store } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const cwd = options.cwd ?? process.cwd();
  const streams = new Set<ServerResponse>();
  let hosts: Set<string> | null = null;

  const broadcast = (runId: string) => {
    const message = `event: change\ndata: ${JSON.stringify({ runId })}\n\n`;
    for (const res of streams) res.write(message);
  };
  // Calls of runs driven from here stream to the page; other processes' calls show from their snapshots.
  const relay = new CallRelay((news: CallNews) => {
    const message = `event: call\ndata: ${scrubText(JSON.stringify(news))}\n\n`;
    for (const res of streams) res.write(message);
  });
  const drives = new BackgroundDrives(options.onDriveError, (runId, event) => relay.push(runId, event));
  const watcher = followRuns(store, broadcast, options.pollMs !== undefined ? { pollMs: options.pollMs } : {});
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  const openStream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { ...baseHeaders, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write('retry: 1000\nevent: hello\ndata: {}\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  };

  // Runs driven from the page share one limiter of calls per host, like the runs of one CLI process.
  const limiter = hostLimiter();
  // The page's resume and send drive runs from this process, so they call the models this process is pointed at:
  // the page names them next to its buttons.
  const modelHostSet = process.env.OLLAMA_HOSTS?.trim() ? HostSet.fromEnv(process.env) : null;
  const modelHosts = modelHostSet ? modelHostSet.status().map((h) => h.host) : [displayHost(resolveHost(undefined, process.env))];
  const hooks = (runId: string) => ({ store, runId, cwd, limiter, ...(modelHostSet ? { hosts: modelHostSet } : {}) });

  /** The run's version and whether its workflow file's code moved on (null: not known, or the run ended). */
  async function versionView(record: RunRecord): Promise<{ hash: string; behind: boolean | null } | null> {
    const hash = versionOf(record);
    if (hash === undefined) return null;
    return { hash, behind: await isBehind({ status: record.status, version: hash }, sourceOf(record, cwd)) };
  }

  async function post(runId: string, action: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req);
    if (action === 'cancel') {
      const record = await cancelRun(store, runId);
      return sendJson(res, 200, { runId, status: record.status });
    }
    if (action === 'resume') {
      const started = await drives.start(runId, (h) => resumeWorkflow({ ...hooks(runId), ...h }));
      return sendJson(res, 202, started);
    }
    if (action === 'send') {
      const event = eventOf(body);
      const started = await drives.start(runId, (h) => sendToRun({ ...hooks(runId), event, ...h }));
      return sendJson(res, 202, started);
    }
    if (action === 'upgrade') {
      // Refused like the CLI's (being driven, finished, states that no longer exist): nothing written then.
      const report = await upgradeRun({ store, runId, cwd });
      return sendJson(res, 200, { ...report, status: report.outcome });
    }
    if (action === 'fork') {
      // Every refusal (unknown seq, finished-at checkpoint, changed definition, bad patch) comes from the plan: nothing written.
      const request = forkRequestOf(body);
      const plan = await prepareFork({ store, runId, cwd, ...request });
      const newRunId = plan.meta.runId;
      const started = await drives.start(newRunId, (h) => driveFork(plan, { ...hooks(newRunId), ...h }));
      return sendJson(res, 202, { ...started, from: { runId, at: request.at } });
    }
    throw new HttpError(404, `no action ${action}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostProblem = refuseHost(req, hosts);
    if (hostProblem) return sendError(res, 403, hostProblem);
    const url = new URL(req.url ?? '/', 'http://inspector.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (!path.startsWith('/api/')) {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} not allowed here`);
      if (path === '/favicon.ico') {
        res.writeHead(204, baseHeaders);
        return void res.end();
      }
      if (!isPageFile(path)) throw new HttpError(404, `no page ${path}`);
      return sendPageFile(res, path);
    }

    const parts = path.slice('/api/'.length).split('/').map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        throw new HttpError(400, 'malformed URL');
      }
    });
    if (method === 'POST') {
      const refusal = refuseWrite(req, token);
      if (refusal) return sendError(res, 403, refusal);
      if (parts[0] === 'runs' && parts.length === 3) return post(assertRunId(parts[1] as string), parts[2] as string, req, res);
      throw new HttpError(404, `no endpoint POST ${path}`);
    }
    if (method !== 'GET') throw new HttpError(405, `${method} not allowed on ${path}`);
    if (parts[0] === 'events' && parts.length === 1) return openStream(req, res);
    if (parts[0] === 'info' && parts.length === 1) return sendJson(res, 200, { dir: store.location, live: drives.size, modelHosts, evals: options.evals ?? null });
    if (parts[0] === 'evals') {
      if (options.evals === undefined) throw new HttpError(404, 'this inspector serves no evals (harness inspect --evals <dir>)');
      return sendJson(res, 200, await evalsApi(options.evals, parts.slice(1)));
    }
    if (parts[0] === 'runs' && parts.length === 1) return sendJson(res, 200, filterRuns(await store.list(), runFilterOf(url.searchParams)));
    if (parts[0] === 'runs' && parts.length === 2) {
      const record = await store.read(assertRunId(parts[1] as string));
      return sendJson(res, 200, { ...runView(record), version: await versionView(record) });
    }
    if (parts[0] === 'runs' && parts[2] === 'history' && parts.length === 3) {
      const runId = assertRunId(parts[1] as string);
      return sendJson(res, 200, await historyView(store, runId));
    }
    if (parts[0] === 'runs' && parts[2] === 'calls' && parts.length === 4) {
      return sendJson(res, 200, callDetail(await store.read(assertRunId(parts[1] as string)), parts[3] as string));
    }
    throw new HttpError(404, `no endpoint GET ${path}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      const status = statusOf(error);
      const message = error instanceof Error ? error.message : String(error);
      sendError(res, status, message, error instanceof Error && !(error instanceof HttpError) ? error.name : undefined, isHarnessError(error) ? error.code : undefined);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await watcher.ready;
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port);
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `http://${urlHost === '0.0.0.0' || urlHost === '[::]' || urlHost === '' ? '127.0.0.1' : urlHost}:${port}`;

  return {
    url,
    pageUrl: `${url}/?token=${encodeURIComponent(token)}`,
    host,
    port,
    token,
    async close() {
      await drives.close();
      relay.close();
      watcher.close();
      clearInterval(heartbeat);
      for (const res of streams) res.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The event of a `send` request `{ type, data? }`: `data` holds the event's fields, delivered on the event itself. */
function eventOf(body: unknown): AnyEventObject {
  const { type, data } = (typeof body === 'object' && body !== null ? body : {}) as { type?: unknown; data?: unknown };
  if (typeof type !== 'string' || type.trim() === '') throw new HttpError(400, 'send needs a JSON body { "type": "EVENT", "data": { …fields } }');
  return eventFrom(type, data);
}
