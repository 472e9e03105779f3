// Builds a recorded reply from an upstream response as its chunks arrive: stream lines with their times, or the body.
import { StringDecoder } from 'node:string_decoder';
import type { IncomingHttpHeaders } from 'node:http';
import type { CassetteLine, CassetteReply } from './types.ts';

/** The reply headers a client acts on; nothing else is kept (set-cookie and the like may carry credentials). */
const KEPT_HEADERS = ['content-type', 'retry-after', 'location'];

/** Replies kept line by line: Ollama's NDJSON streams and the OpenAI-compatible endpoints' server-sent events. */
export function isLineStream(contentType: string | undefined): boolean {
  return contentType !== undefined && /^(application\/x-ndjson|text\/event-stream)\b/i.test(contentType);
}

export function keptHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') kept[name] = value;
  }
  return kept;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export class ReplyCapture {
  readonly #reply: CassetteReply;
  readonly #started: number;
  readonly #decoder = new StringDecoder('utf8');
  readonly #lines: CassetteLine[] = [];
  readonly #chunks: Buffer[] = [];
  #pending = '';

  /** `started` is performance.now() when the request went upstream. */
  constructor(status: number, headers: IncomingHttpHeaders, started: number) {
    this.#started = started;
    this.#reply = { status, headers: keptHeaders(headers), headersAt: round(performance.now() - started), endAt: 0 };
  }

  get streamed(): boolean {
    return isLineStream(this.#reply.headers['content-type']);
  }

  push(chunk: Buffer): void {
    if (!this.streamed) {
      this.#chunks.push(chunk);
      return;
    }
    const at = round(performance.now() - this.#started);
    const parts = (this.#pending + this.#decoder.write(chunk)).split('\n');
    this.#pending = parts.pop() ?? '';
    for (const line of parts) this.#lines.push({ at, line });
  }

  /** The finished reply; `cut` when it ended early. */
  finish(cut?: 'upstream' | 'client'): CassetteReply {
    const reply: CassetteReply = { ...this.#reply, endAt: round(performance.now() - this.#started) };
    if (this.streamed) {
      const rest = this.#pending + this.#decoder.end();
      if (rest !== '') {
        this.#lines.push({ at: reply.endAt, line: rest });
        reply.unterminated = true;
      }
      reply.lines = this.#lines;
    } else {
      const body = Buffer.concat(this.#chunks);
      const text = body.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(body)) reply.body = text;
      else reply.base64 = body.toString('base64');
    }
    if (cut) reply.cut = cut;
    return reply;
  }
}
