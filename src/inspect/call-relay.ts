// Model calls of the runs the inspector drives, relayed as SSE news: streamed tokens are sent in small batches.
import type { CallEvent } from '../steps/services.ts';

/** What the page gets, as `event: call` on /api/events. */
export type CallNews =
  | { runId: string; type: 'call.start'; key: string; step: string; model: string; attempt: number }
  | { runId: string; type: 'call.token'; key: string; text: string }
  | {
      runId: string;
      type: 'call.end';
      key: string;
      step: string;
      model: string;
      replayed: boolean;
      success: boolean;
      score: number | null;
      tokensIn: number;
      tokensOut: number;
      durationMs: number;
    };

export class CallRelay {
  readonly #send: (news: CallNews) => void;
  readonly #flushMs: number;
  /** Tokens not yet sent, per run and call key. */
  readonly #pending = new Map<string, { runId: string; key: string; text: string }>();
  #timer: NodeJS.Timeout | null = null;

  constructor(send: (news: CallNews) => void, flushMs = 60) {
    this.#send = send;
    this.#flushMs = flushMs;
  }

  push(runId: string, event: CallEvent): void {
    if (event.type === 'call.token') {
      const id = `${runId} ${event.key}`;
      const pending = this.#pending.get(id) ?? { runId, key: event.key, text: '' };
      pending.text += event.piece;
      this.#pending.set(id, pending);
      this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
      return;
    }
    this.flush();
    if (event.type === 'call.start') {
      this.#send({ runId, type: 'call.start', key: event.key, step: event.step, model: event.model, attempt: event.attempt });
      return;
    }
    const { result } = event;
    this.#send({
      runId,
      type: 'call.end',
      key: event.key,
      step: event.step,
      model: result.model,
      replayed: event.replayed,
      success: result.success,
      score: result.score,
      tokensIn: result.tokensIn,
      tokensOut: result.tokensOut,
      durationMs: result.durationMs,
    });
  }

  /** Sends the tokens gathered so far. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) this.#send({ runId: p.runId, type: 'call.token', key: p.key, text: p.text });
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }
}
