// Several Ollama hosts: which one serves a call for a model, each host's circuit breaker, stickiness, and failover.
import { Breaker, breakerOptions, type Admission, type BreakerOptions, type BreakerStatus, type Outcome } from './breaker.ts';
import { trackedCall, type TrackedCall } from './client.ts';
import { resolveConfig, type ModelConfigInput } from './config.ts';
import { ConfigError } from './errors.ts';
import { displayHost, hostAuth, resolveHost } from './host.ts';
import { parseHostList, type HostEntry } from './host-list.ts';
import { canonicalModel, listModels } from './listing.ts';
import { unsentResult as emptyResult } from './result.ts';
import type { HostPool } from './pool.ts';
import type { CallError, CallOptions, ChatMessage, HostFailure, ModelResult } from './types.ts';

export interface HostSetOptions {
  /**
   * Each host's circuit breaker: when it opens (a failure rate over a window of recent calls), how long it stays
   * open, and its backoff. See BreakerOptions for the defaults.
   */
  breaker?: BreakerOptions;
  /** @deprecated The open period of a host's breaker: use `breaker.openMs` (which wins when both are given). */
  cooldownMs?: number;
  /** How old a host's /api/tags and /api/ps may get before they are fetched again, in ms. Default 60 000. */
  refreshMs?: number;
  /** Deadline of one /api/tags or /api/ps request, in ms. Default 5 000. */
  probeTimeoutMs?: number;
  /** The clock (epoch ms), for breakers and refreshes; tests and replays pass their own. Default Date.now. */
  now?: () => number;
}

export interface HostCallOptions extends CallOptions {
  /**
   * Calls that share a key (a run) stay on one host per model while it is healthy, so its prompt cache stays warm;
   * a call that finds it full while another is less loaded (a fan-out beyond its slots) goes to that one, and the
   * run keeps its host.
   */
  runKey?: string;
  /** Also hold a slot of this per-host limiter (keyed by the host's address) during each attempt. */
  pool?: HostPool;
}

/** One host as `harness hosts` shows it. Times are epoch ms. */
export interface HostStatus {
  /** Base URL without credentials. */
  host: string;
  slots: number;
  /** Models it has (/api/tags), or null until a listing succeeded. */
  models: string[] | null;
  /** Models in memory (/api/ps, plus those it served since). */
  loaded: string[];
  inFlight: number;
  /** Calls sent to it since the set was made. */
  calls: number;
  /** Its breaker is closed: calls go to it. */
  healthy: boolean;
  /** Closed, open (until when) or half-open; the calls and host failures of its window. */
  breaker: BreakerStatus;
  /** The last host failure seen on it (a call or a listing). */
  lastError: string | null;
  checkedAt: number | null;
}

interface HostState {
  /** Resolved address, credentials included: only ever dialled, never shown. */
  url: string;
  shown: string;
  authorization: string | undefined;
  slots: number;
  models: Set<string> | null;
  loaded: Set<string>;
  checkedAt: number | null;
  /** Set after a failure: the listing is fetched again before the host is next used. */
  stale: boolean;
  inFlight: number;
  calls: number;
  breaker: Breaker;
  lastError: string | null;
  refreshing: Promise<void> | undefined;
}

/** The host a call goes to, and what its breaker let through (a trial, when half-open). */
interface Lease {
  host: HostState;
  admission: Admission;
}

// Failures that say the HOST is unwell (down, overloaded, crashed runner, no answer at all): they count against its
// breaker and the call tries another host. A timeout after headers is a slow reply, a 400 a bad request, invalid
// output the model's, a 404 a missing model: the host answered, so they count as answers and the call returns (or,
// for a missing model, looks elsewhere). A caller's abort says nothing about the host, and neither does a prompt
// refused before it was sent for not fitting the model's window (a prompt the host cut was answered: an answer).
const hostFailures: ReadonlySet<CallError['kind']> = new Set(['connection', 'busy', 'server']);
const noVerdict: ReadonlySet<CallError['kind']> = new Set(['aborted', 'budget', 'internal']);

// Enough for every run a long-lived worker drives at once; the oldest key is forgotten first.
const stickyLimit = 10_000;

export class HostSet {
  readonly #hosts: HostState[];
  readonly #refreshMs: number;
  readonly #probeTimeoutMs: number;
  readonly #now: () => number;
  /** `runKey \0 model` → the host its calls go to. */
  readonly #sticky = new Map<string, HostState>();

  /** From OLLAMA_HOSTS (see parseHostList); without it, the one host of OLLAMA_HOST (or the default). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, options: HostSetOptions = {}): HostSet {
    const list = env.OLLAMA_HOSTS?.trim() ?? '';
    return new HostSet(list !== '' ? parseHostList(list) : [resolveHost(undefined, env)], options);
  }

  constructor(hosts: readonly (string | HostEntry)[], options: HostSetOptions = {}) {
    const now = options.now ?? Date.now;
    const breaker = breakerOptions({ ...(options.cooldownMs === undefined ? {} : { openMs: options.cooldownMs }), ...options.breaker });
    const states = hosts.map((entry): HostState => {
      const { host, slots = 1 } = typeof entry === 'string' ? { host: entry } : entry;
      if (!Number.isInteger(slots) || slots < 1) {
        throw new ConfigError(`invalid host set: slots of ${displayHost(host)} must be a positive integer, got ${slots}`);
      }
      const url = resolveHost(host, {});
      return {
        url,
        shown: displayHost(url),
        authorization: hostAuth(url).authorization,
        slots,
        models: null,
        loaded: new Set(),
        checkedAt: null,
        stale: true,
        inFlight: 0,
        calls: 0,
        breaker: new Breaker(breaker, now),
        lastError: null,
        refreshing: undefined,
      };
    });
    if (states.length === 0) throw new ConfigError('invalid host set: no hosts');
    // A host listed twice would have its load counted twice.
    const seen = new Set<string>();
    for (const state of states) {
      if (seen.has(state.shown)) throw new ConfigError(`invalid host set: ${state.shown} is listed twice`);
      seen.add(state.shown);
    }
    this.#hosts = states;
    this.#refreshMs = options.refreshMs ?? 60_000;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.#now = now;
  }

  status(): HostStatus[] {
    return this.#hosts.map((h) => ({
      host: h.shown,
      slots: h.slots,
      models: h.models === null ? null : [...h.models].sort(),
      loaded: [...h.loaded].sort(),
      inFlight: h.inFlight,
      calls: h.calls,
      healthy: h.breaker.state === 'closed',
      breaker: h.breaker.status(),
      lastError: h.lastError,
      checkedAt: h.checkedAt,
    }));
  }

  /** Lists models on every host now (open breakers included), e.g. before showing status. */
  async refresh(): Promise<void> {
    await Promise.all(this.#hosts.map((h) => this.#refreshHost(h)));
  }

  /**
   * One call on the best host for the model, failing over to the next on connection errors, 5xx/503 and timeouts
   * before any headers; each host is tried at most once and never two at a time. When every host with the model
   * has an open breaker, the call waits for a trial call in flight (if any) rather than fail at once. `metadata.host`
   * is the host that gave the result, `metadata.failovers` the ones given up on; `durationMs` and `ttftMs` count from
   * the start, failed attempts included. `onToken` may see part of a reply from a host that then failed.
   */
  async call<T = unknown>(
    messages: readonly ChatMessage[],
    config: ModelConfigInput<T> = {},
    options: HostCallOptions = {},
  ): Promise<ModelResult<T>> {
    const cfg = resolveConfig(config); // a bad config throws before any host is chosen
    const model = canonicalModel(cfg.model);
    const { runKey, pool, ...callOptions } = options;
    const { signal } = options;
    const started = performance.now();
    const tried = new Set<HostState>();
    const failovers: HostFailure[] = [];
    let last: ModelResult<T> | undefined;
    const aborted = (host: HostState): ModelResult<T> =>
      this.#finish(emptyResult<T>(cfg.model, host.shown, { kind: 'aborted', message: 'aborted by the caller' }), failovers, started, 0);

    for (;;) {
      const lease = await this.#lease(model, runKey, tried);
      if (lease === undefined) {
        // The only hosts left are being tried by another call: its verdict decides whether they take this one.
        const trial = this.#trialFor(model, tried);
        if (trial === undefined) return this.#finish(last ?? this.#noHost(cfg.model, model), failovers, started, 0);
        await settledOrAborted(trial.settled, signal);
        if (signal?.aborted) return aborted(trial.host);
        continue;
      }
      const { host, admission } = lease;
      tried.add(host);
      const attemptStarted = performance.now();
      let release: (() => void) | undefined;
      let attempt: TrackedCall<T>;
      let answered = false;
      try {
        if (pool !== undefined) {
          try {
            release = await pool.acquire(host.url, signal);
          } catch {
            // The caller gave up while waiting for a slot: no request was sent.
            return aborted(host);
          }
        }
        attempt = await trackedCall(messages, { ...config, host: host.url }, callOptions);
        answered = true;
      } finally {
        host.inFlight -= 1;
        release?.();
        // No verdict from a call that was never sent or threw: a trial must never be left pending.
        if (!answered) host.breaker.report(admission, 'inconclusive');
      }
      const { result, responded } = attempt;
      const error = result.metadata.error;
      if (error === undefined) host.loaded.add(model);
      const unwell = error !== undefined && (hostFailures.has(error.kind) || (error.kind === 'timeout' && !responded));
      const unsent = error?.kind === 'context' && !responded;
      const outcome: Outcome = unwell ? 'failure' : error !== undefined && (noVerdict.has(error.kind) || unsent) ? 'inconclusive' : 'success';
      host.breaker.report(admission, outcome, error?.message);
      const missing = error?.kind === 'model-not-found';
      if (error === undefined || !(unwell || missing) || signal?.aborted) {
        return this.#finish(result, failovers, started, attemptStarted - started);
      }
      // Either way its listing may be out of date (a missing model, a crashed runner): read it before the next use.
      // After a host failure that re-listing is also the check that the server is up at all (see #refreshHost).
      host.stale = true;
      if (missing) host.models?.delete(model);
      else host.lastError = error.message;
      failovers.push({ host: host.shown, ...error });
      last = result;
    }
  }

  /** Chooses a host and counts the call on it before yielding, so concurrent callers see each other's load. */
  async #lease(model: string, runKey: string | undefined, tried: ReadonlySet<HostState>): Promise<Lease | undefined> {
    const usable = (h: HostState): boolean => !tried.has(h) && h.breaker.available;
    await Promise.all(this.#hosts.filter((h) => usable(h) && this.#isStale(h)).map((h) => this.#refreshHost(h)));
    // Decided after the listings, with no await until the admission: two callers can never both take a trial.
    const eligible = this.#hosts.filter((h) => usable(h) && h.models?.has(model) === true);
    if (eligible.length === 0) return undefined;
    const key = runKey === undefined ? undefined : `${runKey}\0${model}`;
    const sticky = key === undefined ? undefined : this.#sticky.get(key);
    const home = sticky !== undefined && eligible.includes(sticky) ? sticky : undefined;
    const best = (hosts: readonly HostState[]): HostState => hosts.reduce((top, h) => (compareHosts(h, top, model) < 0 ? h : top));
    let chosen: HostState;
    if (home === undefined) {
      chosen = best(eligible);
      // A failover moves this call, not the run: its home keeps it unless the home itself is out (breaker, listing).
      if (key !== undefined && !(sticky !== undefined && tried.has(sticky))) {
        this.#sticky.delete(key); // re-insert: Map order is the eviction order
        this.#sticky.set(key, chosen);
        if (this.#sticky.size > stickyLimit) this.#sticky.delete(this.#sticky.keys().next().value ?? '');
      }
    } else {
      // The run's host, unless it is full and another is less loaded: the calls of a fan-out beyond its slots
      // overflow to the best of those (the run keeps its home), instead of queueing there while others idle.
      const lighter = isFull(home) ? eligible.filter((h) => load(h) < load(home)) : [];
      chosen = lighter.length > 0 ? best(lighter) : home;
    }
    chosen.inFlight += 1;
    chosen.calls += 1;
    return { host: chosen, admission: chosen.breaker.admit() };
  }

  /** A trial call in flight on a host with the model that this call has not tried yet. */
  #trialFor(model: string, tried: ReadonlySet<HostState>): { host: HostState; settled: Promise<void> } | undefined {
    for (const host of this.#hosts) {
      const settled = host.breaker.trialSettled;
      if (settled !== undefined && !tried.has(host) && host.models?.has(model) === true) return { host, settled };
    }
    return undefined;
  }

  #isStale(h: HostState): boolean {
    return h.stale || h.checkedAt === null || this.#now() - h.checkedAt >= this.#refreshMs;
  }

  /**
   * GET /api/tags and /api/ps; concurrent callers share one fetch. These answer whatever the runners do, so a host
   * that does not answer them is down, not flaky: its breaker opens at once. A failed call marks its host for
   * re-listing, so a dead host is found on its next use: one refused call and one refused listing.
   */
  #refreshHost(h: HostState): Promise<void> {
    h.refreshing ??= (async () => {
      try {
        const request = { base: h.shown, timeoutMs: this.#probeTimeoutMs, ...(h.authorization ? { authorization: h.authorization } : {}) };
        const [tags, ps] = await Promise.all([listModels('tags', request), listModels('ps', request)]);
        h.models = new Set(tags);
        h.loaded = new Set(ps);
        h.checkedAt = this.#now();
        h.stale = false;
      } catch (err) {
        const message = `cannot list models on ${h.shown}: ${err instanceof Error ? err.message : String(err)}`;
        h.breaker.down(message);
        h.lastError = message;
        h.stale = true;
      } finally {
        h.refreshing = undefined;
      }
    })();
    return h.refreshing;
  }

  /** No usable host: a missing model if every host is known and lacks it, else an infrastructure failure. */
  #noHost<T>(asked: string, model: string): ModelResult<T> {
    const now = this.#now();
    const down = this.#hosts.filter((h) => h.breaker.state !== 'closed' || h.models === null);
    const why = (h: HostState): string => {
      const { state, openUntil } = h.breaker.status();
      const error = h.lastError ?? 'not listed yet';
      if (state === 'open' && openUntil !== null) return `${h.shown} (breaker open for ${Math.ceil((openUntil - now) / 1000)} s more: ${error})`;
      return state === 'half-open' ? `${h.shown} (breaker half-open: ${error})` : `${h.shown} (${error})`;
    };
    const error: CallError = down.length === 0
      ? { kind: 'model-not-found', message: `model '${asked}' not found on any host (${this.#hosts.map((h) => h.shown).join(', ')})` }
      : { kind: 'connection', message: `no healthy host has model '${asked}': ${down.map(why).join('; ')}` };
    const host = down[0]?.shown ?? this.#hosts[0]?.shown ?? '';
    return emptyResult<T>(asked, host, error);
  }

  /** Times count from the start of the whole call; the failovers that came before are listed. */
  #finish<T>(result: ModelResult<T>, failovers: HostFailure[], started: number, offset: number): ModelResult<T> {
    result.durationMs = performance.now() - started;
    if (result.ttftMs !== null) result.ttftMs += offset;
    if (failovers.length > 0) result.metadata.failovers = failovers;
    return result;
  }
}

const isFull = (h: HostState): boolean => h.inFlight >= h.slots;
const load = (h: HostState): number => h.inFlight / h.slots;

/**
 * Lower is better: a host with a free slot before a full one; then one where the model is loaded (no load wait);
 * then the least in-flight per slot; then the fewest calls per slot so far, which spreads sequential calls that
 * would otherwise all tie; then the order of the list.
 */
function compareHosts(a: HostState, b: HostState, model: string): number {
  const full = (h: HostState): number => (isFull(h) ? 1 : 0);
  const cold = (h: HostState): number => (h.loaded.has(model) ? 0 : 1);
  return full(a) - full(b) || cold(a) - cold(b) || load(a) - load(b) ||
    a.calls / a.slots - b.calls / b.slots;
}

/** Resolves when `settled` does or the caller gives up, whichever comes first. */
function settledOrAborted(settled: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return settled;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void settled.then(done);
  });
}

/** `hostSet.call` as a function, next to callModel. */
export function callWithHosts<T = unknown>(
  messages: readonly ChatMessage[],
  config: ModelConfigInput<T>,
  hostSet: HostSet,
  options: HostCallOptions = {},
): Promise<ModelResult<T>> {
  return hostSet.call(messages, config, options);
}
