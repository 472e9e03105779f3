// startSimulator: a real node:http server that answers like Ollama, with routing, control endpoints and a clean close.
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { openCassette } from '../cassette/open.ts';
import type { Exchange, SimContext } from './context.ts';
import { handleEmbed, handlePs, handleShow, handleTags, handleVersion } from './endpoints.ts';
import { faultRates } from './faults.ts';
import { handleGeneration } from './generation.ts';
import {
  handleCopy,
  handleCreate,
  handleCreateBlob,
  handleDelete,
  handleHeadBlob,
  handlePull,
  handlePush,
} from './library.ts';
import { baseName, DEFAULT_MODELS, LIBRARY_NAMES, ModelCatalog } from './models.ts';
import { handleChatCompletions, handleCompletions, handleEmbeddings, handleModel, handleModels } from './openai.ts';
import { numCtxFor } from './prompt.ts';
import { Scheduler } from './queue.ts';
import { StatsRecorder } from './stats.ts';
import type { Simulator, SimulatorOptions } from './types.ts';
import { readBody, sendError, sendJson, sendMethodNotAllowed, sendNotFound, sendText } from './wire.ts';

type Handler = (ex: Exchange, ctx: SimContext, sim: Simulator) => void | Promise<void>;

const root: Handler = (ex) => sendText(ex.res, 200, 'Ollama is running');

const ROUTES: Record<string, Record<string, Handler>> = {
  '/': { GET: root, HEAD: root },
  '/api/version': { GET: handleVersion, HEAD: handleVersion },
  '/api/tags': { GET: handleTags, HEAD: handleTags },
  '/api/ps': { GET: handlePs },
  '/api/show': { POST: handleShow },
  '/api/chat': { POST: (ex, ctx) => handleGeneration('chat', ex, ctx) },
  '/api/generate': { POST: (ex, ctx) => handleGeneration('generate', ex, ctx) },
  '/api/embed': { POST: (ex, ctx) => handleEmbed(ex, ctx, false) },
  '/api/embeddings': { POST: (ex, ctx) => handleEmbed(ex, ctx, true) },
  '/api/pull': { POST: handlePull },
  '/api/push': { POST: handlePush },
  '/api/create': { POST: handleCreate },
  '/api/copy': { POST: handleCopy },
  '/api/delete': { DELETE: handleDelete },
  '/v1/chat/completions': { POST: handleChatCompletions },
  '/v1/completions': { POST: handleCompletions },
  '/v1/embeddings': { POST: handleEmbeddings },
  '/v1/models': { GET: handleModels },
  '/_simulator/stats': { GET: (ex, _ctx, sim) => sendJson(ex.res, 200, sim.stats()) },
  '/_simulator/reset': {
    POST: (ex, _ctx, sim) => {
      sim.reset();
      sendJson(ex.res, 200, sim.stats());
    },
  },
};

/** Routes with one trailing parameter (gin's `:digest`, `:model`), matched by prefix. */
const PARAM_ROUTES: [string, Record<string, Handler>][] = [
  ['/api/blobs/', { HEAD: handleHeadBlob, POST: handleCreateBlob }],
  ['/v1/models/', { GET: handleModel }],
];

function match(path: string): { methods: Record<string, Handler>; param: string } | undefined {
  const exact = ROUTES[path];
  if (exact) return { methods: exact, param: '' };
  for (const [prefix, methods] of PARAM_ROUTES) {
    const param = path.slice(prefix.length);
    if (path.startsWith(prefix) && param !== '' && !param.includes('/')) return { methods, param };
  }
  return undefined;
}

const CONTROL_PREFIX = '/_simulator/';

function nonNegative(value: number | undefined, name: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

function positive(value: number | undefined, name: string, fallback: number): number {
  const n = nonNegative(value, name, fallback, true);
  if (n < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return n;
}

function resolve(options: SimulatorOptions) {
  const models = options.models ?? DEFAULT_MODELS;
  const named = (m: unknown) =>
    (typeof m === 'string' && m.trim() !== '') ||
    (typeof m === 'object' && m !== null && 'name' in m && typeof m.name === 'string' && m.name.trim() !== '');
  if (!Array.isArray(models) || models.length === 0 || !models.every(named)) {
    throw new RangeError('models must be a non-empty list of model names or entries with a name');
  }
  const registry = options.registry ?? [];
  if (!Array.isArray(registry) || registry.some((name) => typeof name !== 'string')) {
    throw new RangeError('registry must be a list of model names');
  }
  const seed = options.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new RangeError(`seed must be a number, got ${String(seed)}`);
  const port = nonNegative(options.port, 'port', 0, true);
  if (port > 65535) throw new RangeError(`port must be at most 65535, got ${port}`);
  const numParallel = nonNegative(options.numParallel, 'numParallel', 1, true);
  if (numParallel < 1) throw new RangeError('numParallel must be at least 1');
  return {
    port,
    host: options.host ?? '127.0.0.1',
    seed,
    models,
    registry,
    latency: {
      loadMs: nonNegative(options.latency?.loadMs, 'latency.loadMs', 0),
      ttftMs: nonNegative(options.latency?.ttftMs, 'latency.ttftMs', 0),
      perTokenMs: nonNegative(options.latency?.perTokenMs, 'latency.perTokenMs', 0),
    },
    numParallel,
    maxQueue: nonNegative(options.maxQueue, 'maxQueue', 512, true),
    faultRates: faultRates(options.faults),
    script: options.script ?? {},
    replyTokens: nonNegative(options.replyTokens, 'replyTokens', 24, true),
    contextLength: positive(options.contextLength, 'contextLength', 4096),
  };
}

/**
 * Starts an Ollama simulator: the real `ollama` client, curl or any Ollama client works against `url` unchanged.
 * Throws RangeError for invalid options. Always `close()` it (tests: in afterEach/afterAll).
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const o = resolve(options);
  const cassette = options.cassette === undefined ? undefined : await openCassette(options.cassette);
  const lifetime = new AbortController();
  // Every request in flight listens for the shutdown and stops listening when it ends: many at once is no leak.
  setMaxListeners(0, lifetime.signal);
  const stats = new StatsRecorder();
  const scheduler = new Scheduler({
    numParallel: o.numParallel,
    maxQueue: o.maxQueue,
    loadMs: o.latency.loadMs,
    signal: lifetime.signal,
    defaultNumCtx: (entry) => numCtxFor(entry, undefined, o.contextLength),
    onLoad: () => stats.load(),
  });
  const ctx: SimContext = {
    seed: o.seed,
    replyTokens: o.replyTokens,
    contextLength: o.contextLength,
    latency: o.latency,
    catalog: new ModelCatalog(o.models),
    registry: new Set([...LIBRARY_NAMES, ...o.models.map((m) => baseName(typeof m === 'string' ? m : m.name)), ...o.registry.map(baseName)]),
    blobs: new Set(),
    scheduler,
    stats,
    faultRates: o.faultRates,
    script: o.script,
    attempts: new Map(),
    lifetime: lifetime.signal,
  };
  const sockets = new Set<Socket>();
  let sim: Simulator | undefined;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = process.hrtime.bigint();
    const receivedAt = Date.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!path.startsWith(CONTROL_PREFIX)) stats.request();
    const rawBody = await readBody(req);
    if (cassette && !path.startsWith(CONTROL_PREFIX)) return cassette.serve(req, res, rawBody, lifetime.signal);
    const route = match(path);
    if (!route) return sendNotFound(res);
    const handler = route.methods[req.method ?? 'GET'];
    if (!handler) return sendMethodNotAllowed(res);
    const exchange = { req, res, body: rawBody.toString('utf8'), rawBody, param: route.param, arrived, receivedAt };
    await handler(exchange, ctx, sim as Simulator);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) res.destroy();
      else sendError(res, 500, error instanceof Error ? error.message : String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;

  sim = {
    url: `http://${hostInUrl}:${port}`,
    port,
    stats: () => ({ ...stats.snapshot(scheduler.waiting), ...(cassette ? { cassette: cassette.stats() } : {}) }),
    log: () => stats.log(),
    ...(cassette ? { cassette } : {}),
    reset: () => {
      stats.reset();
      cassette?.reset();
      ctx.attempts.clear();
      scheduler.unloadAll();
    },
    close: () => {
      closing ??= new Promise<void>((resolvePromise) => {
        lifetime.abort(new Error('simulator closed'));
        server.close(() => resolvePromise());
        // Hung requests and idle keep-alive connections would hold close() open: end them now.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
  return sim;
}
