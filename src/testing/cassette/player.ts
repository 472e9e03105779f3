// Answers requests from a cassette: matched by key, recorded occurrences in order, and a loud, explained miss otherwise.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../simulator/wire.ts';
import { describeDifference, differences, type Difference } from './diff.ts';
import { describeRequest, identityOf, matchKey, type RequestIdentity } from './match-key.ts';
import { playReply } from './replay.ts';
import type { CassetteEntry, CassetteHandle, CassetteMiss, CassetteOptions, CassetteStats } from './types.ts';

/** Differences listed in a miss's message; the rest are counted. */
const SHOWN_DIFFERENCES = 5;
/** Misses kept for `misses()`; the count goes on. */
const MISS_LIMIT = 1000;

interface Recorded {
  index: number;
  entry: CassetteEntry;
  identity: RequestIdentity;
}

export class CassettePlayer implements CassetteHandle {
  readonly #recorded: Recorded[];
  readonly #byKey = new Map<string, Recorded[]>();
  readonly #scale: number;
  readonly #exhausted: 'repeat-last' | 'fail';
  #played = new Map<string, number>();
  #used = new Set<number>();
  #replayed = 0;
  #repeated = 0;
  #missCount = 0;
  #misses: CassetteMiss[] = [];

  constructor(entries: CassetteEntry[], options: Omit<CassetteOptions, 'from'> = {}) {
    const timing = options.timing ?? 'none';
    this.#scale = timing === 'none' ? 0 : timing === 'recorded' ? 1 : timing;
    if (!Number.isFinite(this.#scale) || this.#scale < 0) throw new RangeError(`cassette timing must be 'none', 'recorded' or a non-negative number, got ${String(timing)}`);
    this.#exhausted = options.exhausted ?? 'repeat-last';
    this.#recorded = entries.map((entry, index) => ({ index, entry, identity: identityOf(entry.request) }));
    for (const recorded of this.#recorded) {
      const key = matchKey(recorded.identity);
      const list = this.#byKey.get(key) ?? [];
      list.push(recorded);
      this.#byKey.set(key, list);
    }
  }

  /** Answers one request (its body already read). */
  async serve(req: IncomingMessage, res: ServerResponse, rawBody: Buffer, lifetime: AbortSignal): Promise<void> {
    const identity = identityOf(describeRequest(req.method ?? 'GET', req.url ?? '/', rawBody));
    const key = matchKey(identity);
    const list = this.#byKey.get(key);
    if (list === undefined) return this.#miss(res, identity, this.#explainUnknown(identity));
    const n = this.#played.get(key) ?? 0;
    const last = list[list.length - 1];
    let recorded = list[n];
    if (recorded === undefined) {
      if (this.#exhausted === 'fail' || last === undefined) {
        return this.#miss(res, identity, { message: `cassette miss: ${identity.method} ${identity.path} was recorded ${list.length} time(s) and this is call ${n + 1}` });
      }
      recorded = last;
      this.#repeated++;
    }
    this.#played.set(key, n + 1);
    this.#used.add(recorded.index);
    this.#replayed++;
    const gone = new AbortController();
    const onLeave = () => gone.abort();
    res.once('close', onLeave);
    lifetime.addEventListener('abort', onLeave, { once: true });
    try {
      await playReply(res, recorded.entry.reply, this.#scale, gone.signal);
    } finally {
      lifetime.removeEventListener('abort', onLeave);
    }
  }

  #explainUnknown(identity: RequestIdentity): Omit<CassetteMiss, 'method' | 'path'> {
    const head = `cassette miss: no recorded ${identity.method} ${identity.path} with this body`;
    let best: { recorded: Recorded; score: number; diffs: Difference[] } | undefined;
    for (const recorded of this.#recorded) {
      const { method, path, body } = recorded.identity;
      const diffs = [
        ...(method !== identity.method ? [{ path: '(method)', recorded: method, got: identity.method }] : []),
        ...(path !== identity.path ? [{ path: '(path)', recorded: path, got: identity.path }] : []),
        ...differences(body, identity.body, '', '(body)'),
      ];
      // A different endpoint is further away than any body difference on the same one.
      const score = diffs.length + (method !== identity.method || path !== identity.path ? 1e6 : 0);
      if (best === undefined || score < best.score) best = { recorded, score, diffs };
    }
    if (best === undefined) return { message: `${head}: the cassette is empty` };
    const { recorded, diffs } = best;
    const shown = diffs.slice(0, SHOWN_DIFFERENCES).map(describeDifference).join('; ');
    const more = diffs.length > SHOWN_DIFFERENCES ? `; and ${diffs.length - SHOWN_DIFFERENCES} more` : '';
    return {
      message: `${head}; nearest recorded is #${recorded.index} (${recorded.identity.method} ${recorded.identity.path}), which differs at ${shown}${more}`,
      nearest: recorded.index,
      differences: diffs.map((d) => d.path),
    };
  }

  #miss(res: ServerResponse, identity: RequestIdentity, detail: Omit<CassetteMiss, 'method' | 'path'>): void {
    this.#missCount++;
    if (this.#misses.length < MISS_LIMIT) this.#misses.push({ method: identity.method, path: identity.path, ...detail });
    sendError(res, 500, detail.message);
  }

  stats(): CassetteStats {
    return {
      entries: this.#recorded.length,
      replayed: this.#replayed,
      repeated: this.#repeated,
      misses: this.#missCount,
      unused: this.#recorded.length - this.#used.size,
    };
  }

  misses(): CassetteMiss[] {
    return this.#misses.map((miss) => ({ ...miss, ...(miss.differences ? { differences: [...miss.differences] } : {}) }));
  }

  unused(): { index: number; entry: CassetteEntry }[] {
    return this.#recorded.filter((r) => !this.#used.has(r.index)).map(({ index, entry }) => ({ index, entry }));
  }

  assertAllUsed(): void {
    const unused = this.unused();
    if (unused.length === 0 && this.#missCount === 0) return;
    const lines = [
      ...unused.map(({ index, entry }) => `  #${index} ${entry.request.method} ${entry.request.path} was never replayed`),
      ...this.#misses.map((miss) => `  ${miss.message}`),
    ];
    throw new Error(`cassette not played cleanly (${unused.length} unused, ${this.#missCount} missed):\n${lines.join('\n')}`);
  }

  /** Starts the cassette over: every occurrence unplayed, counters and misses cleared. */
  reset(): void {
    this.#played = new Map();
    this.#used = new Set();
    this.#replayed = 0;
    this.#repeated = 0;
    this.#missCount = 0;
    this.#misses = [];
  }
}
