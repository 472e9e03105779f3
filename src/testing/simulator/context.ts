// The state one simulator shares between its handlers, and the watch on one exchange's client going away.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ModelCatalog } from './models.ts';
import type { Scheduler } from './queue.ts';
import type { StatsRecorder } from './stats.ts';
import type { FaultKind, ScriptedReply } from './types.ts';

export interface SimContext {
  seed: number;
  replyTokens: number;
  /** The server's default num_ctx (OLLAMA_CONTEXT_LENGTH). */
  contextLength: number;
  latency: { loadMs: number; ttftMs: number; perTokenMs: number };
  catalog: ModelCatalog;
  /** Model names (no tag) the simulated registry.ollama.ai has, for /api/pull. */
  registry: Set<string>;
  /** Digests (`sha256:…`) of blobs uploaded through /api/blobs. */
  blobs: Set<string>;
  scheduler: Scheduler;
  stats: StatsRecorder;
  faultRates: [FaultKind, number][];
  script: Record<string, ScriptedReply>;
  /** How many times each request identity (model, messages, format) was seen: the `attempt` of the next one. */
  attempts: Map<string, number>;
  /** Aborts when the simulator closes. */
  lifetime: AbortSignal;
}

/** One HTTP exchange as the handlers see it. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  body: string;
  /** The body's bytes (a blob upload is hashed as sent). */
  rawBody: Buffer;
  /** The path's last segment for parameterized routes (`/api/blobs/:digest`, `/v1/models/:model`). */
  param: string;
  /** process.hrtime.bigint() when the request arrived: durations count from here. */
  arrived: bigint;
  /** Date.now() when the request arrived. */
  receivedAt: number;
}

export interface Watch {
  /** Aborts when the client goes away or the simulator closes. */
  signal: AbortSignal;
  /** The simulator destroys the socket itself (fault "reset"): not a client disconnect. */
  resetByUs(): void;
  dispose(): void;
}

/**
 * Notices the client going away (or the simulator closing) and aborts the work for this exchange;
 * `countDisconnects` records a client that left before the reply was complete in stats.disconnects.
 */
export function watchExchange(ex: Exchange, ctx: SimContext, countDisconnects: boolean): Watch {
  const controller = new AbortController();
  let deliberate = false;
  const left = () => {
    if (controller.signal.aborted) return;
    if (countDisconnects && !ex.res.writableFinished && !deliberate && !ctx.lifetime.aborted) ctx.stats.disconnect();
    controller.abort(new Error('client disconnected'));
  };
  ex.res.once('close', left);
  // The client may already be gone (it left while its body was read): its close event is past.
  if (ex.res.destroyed || ex.req.socket.destroyed) left();
  const onShutdown = () => controller.abort(new Error('simulator closed'));
  ctx.lifetime.addEventListener('abort', onShutdown, { once: true });
  return {
    signal: controller.signal,
    resetByUs: () => {
      deliberate = true;
    },
    dispose: () => ctx.lifetime.removeEventListener('abort', onShutdown),
  };
}
