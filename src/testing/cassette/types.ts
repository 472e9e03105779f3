// A cassette's shapes: one recorded exchange per NDJSON line (request as sent, reply as received), and replay options.

/** A request as the client sent it. Headers are never kept (they may carry credentials). */
export interface CassetteRequest {
  method: string;
  /** Path and query string as sent, e.g. `/api/chat`. */
  path: string;
  /** The body parsed, when it was JSON (kept whole: normalisation happens only when matching). */
  json?: unknown;
  /** A body that was not JSON but small UTF-8 text. */
  text?: string;
  /** Any other body (a blob upload): its SHA-256 and size, which is all matching needs. */
  sha256?: string;
  bytes?: number;
}

/** One line of a streamed reply (NDJSON or server-sent events), without its newline. */
export interface CassetteLine {
  /** Milliseconds from the request being sent upstream to this line's last byte arriving. */
  at: number;
  line: string;
}

export interface CassetteReply {
  status: number;
  /** Only the headers that matter to a client: content-type, retry-after, location. */
  headers: Record<string, string>;
  /** Milliseconds from the request being sent upstream to the reply's headers. */
  headersAt: number;
  /** Milliseconds from the request being sent upstream to the reply's end. */
  endAt: number;
  /** A streamed reply (application/x-ndjson or text/event-stream), line by line. */
  lines?: CassetteLine[];
  /** The last line arrived without a trailing newline. */
  unterminated?: boolean;
  /** Any other reply: its body as UTF-8 text … */
  body?: string;
  /** … or as base64 when it is not valid UTF-8. */
  base64?: string;
  /** The reply was cut short (the upstream dropped it, or the client left): replay sends what was recorded, then resets. */
  cut?: 'upstream' | 'client';
}

export interface CassetteEntry {
  request: CassetteRequest;
  reply: CassetteReply;
  /** ISO time the exchange started. */
  recordedAt: string;
}

export interface CassetteOptions {
  /** A cassette file (NDJSON, as `harness record` writes it) or its entries. */
  from: string | CassetteEntry[];
  /**
   * 'none' (default): replies as fast as possible. 'recorded': headers, stream lines and the end at their recorded
   * times. A number scales the recorded times (0.5 replays twice as fast).
   */
  timing?: 'none' | 'recorded' | number;
  /**
   * When a request's recorded occurrences are used up: 'repeat-last' (default) replays its last one again,
   * 'fail' answers it as a miss.
   */
  exhausted?: 'repeat-last' | 'fail';
}

/** A request the cassette could not answer. */
export interface CassetteMiss {
  method: string;
  path: string;
  /** The error text sent to the client (also in the reply's `{"error": …}`). */
  message: string;
  /** Index (0-based line) of the nearest recorded request, if the cassette has any. */
  nearest?: number;
  /** JSON paths where the request differs from the nearest recorded one. */
  differences?: string[];
}

export interface CassetteStats {
  /** Exchanges in the cassette. */
  entries: number;
  /** Requests answered from the cassette (repeats included). */
  replayed: number;
  /** Of those, answered again with a request's last occurrence after its recorded ones were used up. */
  repeated: number;
  /** Requests the cassette could not answer. */
  misses: number;
  /** Recorded exchanges not replayed yet. */
  unused: number;
}

/** The replaying simulator's view of its cassette, for tests. */
export interface CassetteHandle {
  stats(): CassetteStats;
  misses(): CassetteMiss[];
  /** Recorded exchanges not replayed since start or reset, with their index in the cassette. */
  unused(): { index: number; entry: CassetteEntry }[];
  /** Throws, listing them, unless every recorded exchange was replayed and no request missed. */
  assertAllUsed(): void;
}
