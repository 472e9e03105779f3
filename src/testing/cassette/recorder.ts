// startRecorder: a proxy in front of a real Ollama that passes every reply through as it arrives and saves each exchange.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { displayHost, hostAuth, resolveHost } from '../../llm/host.ts';
import { readBody, sendError } from '../simulator/wire.ts';
import { ReplyCapture } from './capture.ts';
import { CassetteWriter } from './file.ts';
import { describeRequest } from './match-key.ts';
import type { CassetteEntry } from './types.ts';

export interface RecorderOptions {
  /** The Ollama to record, in any OLLAMA_HOST form (`user:pw@` allowed, never saved). Default: $OLLAMA_HOST. */
  upstream?: string;
  /** The cassette file to write (created, or emptied if it exists). */
  to: string;
  /** Default 0: an ephemeral port, read it back from `Recorder.port`. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Called as each exchange is saved. */
  onExchange?: (entry: CassetteEntry) => void;
}

export interface Recorder {
  /** Point clients here (OLLAMA_HOST, `config.host`). */
  url: string;
  port: number;
  /** The upstream's base URL, without credentials. */
  upstream: string;
  /** Exchanges saved so far. */
  count(): number;
  /** Stops listening, drops open connections (an unfinished exchange is not saved) and closes the file. */
  close(): Promise<void>;
}

/** Connection-level headers a proxy must not forward (RFC 9110 §7.6.1), plus ones we set ourselves. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'accept-encoding']);
/** Marks forwarded requests, so a recorder pointed at itself answers 508 instead of looping. */
const VIA = '1.1 harness-record';

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  const resolved = resolveHost(options.upstream);
  const auth = hostAuth(resolved);
  const base = new URL(auth.base);
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
  // Opened once listening works, so a busy port never empties an existing cassette.
  let writer: CassetteWriter | undefined;
  const sockets = new Set<Socket>();
  let closing: Promise<void> | undefined;
  let shuttingDown = false;

  async function proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (String(req.headers.via ?? '').includes(VIA)) return sendError(res, 508, 'harness record: the upstream is this recorder');
    const recordedAt = new Date().toISOString();
    const request = describeRequest(req.method ?? 'GET', req.url ?? '/', raw);
    const headers: OutgoingHttpHeaders = { ...forwardable(req.headers), via: VIA, 'content-length': raw.length };
    if (auth.authorization !== undefined) headers.authorization = auth.authorization;
    const target = new URL(base.pathname.replace(/\/$/, '') + (req.url ?? '/'), base);
    const started = performance.now();
    const upstream = send(target, { method: req.method, headers });
    let capture: ReplyCapture | undefined;
    const save = (cut?: 'upstream' | 'client') => {
      if (!capture || shuttingDown) return;
      const entry: CassetteEntry = { request, reply: capture.finish(cut), recordedAt };
      capture = undefined;
      writer?.write(entry);
      options.onExchange?.(entry);
    };
    res.once('close', () => {
      if (res.writableFinished) return;
      save('client');
      upstream.destroy();
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) sendError(res, 502, `harness record: upstream ${displayHost(resolved)} failed: ${error.message}`);
    });
    upstream.on('response', (up) => {
      capture = new ReplyCapture(up.statusCode ?? 502, up.headers, started);
      const length = up.headers['content-length'];
      res.writeHead(up.statusCode ?? 502, { ...forwardable(up.headers), ...(length !== undefined ? { 'content-length': length } : {}) });
      res.flushHeaders();
      up.on('data', (chunk: Buffer) => {
        capture?.push(chunk);
        // Passed on at once, so the client sees each token when the upstream sends it; paused only on backpressure.
        if (!res.write(chunk)) {
          up.pause();
          res.once('drain', () => up.resume());
        }
      });
      up.on('end', () => {
        save();
        res.end();
      });
      up.on('error', () => undefined); // seen as an incomplete close below
      up.on('close', () => {
        if (up.complete) return;
        save('upstream');
        res.destroy();
      });
    });
    upstream.end(raw);
  }

  const server = createServer((req, res) => {
    proxy(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, error instanceof Error ? error.message : String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const listenHost = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    writer = await CassetteWriter.open(options.to);
  } catch (error) {
    await new Promise((resolve) => server.close(resolve));
    throw error;
  }
  const opened = writer;
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = listenHost.includes(':') ? `[${listenHost}]` : listenHost;

  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    upstream: displayHost(resolved),
    count: () => opened.count,
    close: () => {
      shuttingDown = true;
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
        await opened.close();
      })();
      return closing;
    },
  };
}
