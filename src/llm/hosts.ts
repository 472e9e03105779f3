// Several Ollama hosts: which one serves a call for a model, their health and cooldown, stickiness, and failover.
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
  /** How long a host that failed is left alone, in ms. Default 30 000. */
  cooldownMs?: number;
  /** How old a host's /api/tags and /api/ps may get before they are fetched again, in ms. Default 60 000. */
  refreshMs?: number;
  /** Deadline of one /api/tags or /api/ps request, in ms. Default 5 000. */
  probeTimeoutMs?: number;
  /** The clock (epoch ms), for cooldowns and refreshes; tests and replays pass their own. Default Date.now. */
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
  healthy: boolean;
  cooldownUntil: number | null;
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
  cooldownUntil: number;
  lastError: string | null;
  refreshing: Promise<void> | undefined;
}

// Failures that say the HOST is unwell (down, overloaded, crashed runner, no answer at all): cool it down and try
// another. A timeout after headers is a slow reply, a 400 a bad request, invalid output the model's: those return.
const hostFailures: ReadonlySet<CallError['kind']> = new Set(['connection', 'busy', 'server']);

// Enough for every run a long-lived worker drives at once; the oldest key is forgotten first.
const stickyLimit = 10_000;

export class HostSet {
  readonly #hosts: HostState[];
  readonly #cooldownMs: number;
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
        cooldownUntil: 0,
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
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#refreshMs = options.refreshMs ?? 60_000;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  status(): HostStatus[] {
    const now = this.#now();
    return this.#hosts.map((h) => ({
      host: h.shown,
      slots: h.slots,
      models: h.models === null ? null : [...h.models].sort(),
      loaded: [...h.loaded].sort(),
      inFlight: h.inFlight,
      calls: h.calls,
      healthy: h.cooldownUntil <= now,
      cooldownUntil: h.cooldownUntil > now ? h.cooldownUntil : null,
      lastError: h.lastError,
      checkedAt: h.checkedAt,
    }));
  }

  /** Lists models on every host now (cooling hosts included), e.g. before showing status. */
  async refresh(): Promise<void> {
    await Promise.all(this.#hosts.map((h) => this.#refreshHost(h)));
  }

  /**
   * One call on the best host for the model, failing over to the next on connection errors, 5xx/503 and timeouts
   * before any headers; each host is tried at most once and never two at a time. `metadata.host` is the host
   * that gave the result, `metadata.failovers` the ones given up on; `durationMs` and `ttftMs` count from the
   * start, failed attempts included. `onToken` may see part of a reply from a host that then failed.
   */
  async call<T = unknown>(
    messages: readonly ChatMessage[],
    config: ModelConfigInput<T> = {},
    options: HostCallOptions = {},
  ): Promise<ModelResult<T>> {
    const cfg = resolveConfig(config); // a bad config throws before any host is chosen
    const model = canonicalModel(cfg.model);
    const { runKey, pool, ...callOptions } = options;
    const started = performance.now();
    const tried = new Set<HostState>();
    const failovers: HostFailure[] = [];
    let last: ModelResult<T> | undefined;

    for (;;) {
      const host = await this.#lease(model, runKey, tried);
      if (host === undefined) return this.#finish(last ?? this.#noHost(cfg.model, model), failovers, started, 0);
      tried.add(host);
      const attemptStarted = performance.now();
      let release: (() => void) | undefined;
      let attempt: TrackedCall<T>;
      try {
        if (pool !== undefined) {
          try {
            release = await pool.acquire(host.url, options.signal);
          } catch {
            // The caller gave up while waiting for a slot: no request was sent.
            return this.#finish(emptyResult<T>(cfg.model, host.shown, { kind: 'aborted', message: 'aborted by the caller' }), failovers, started, 0);
          }
        }
        attempt = await trackedCall(messages, { ...config, host: host.url }, callOptions);
      } finally {
        host.inFlight -= 1;
        release?.();
      }
      const { result, responded } = attempt;
      const error = result.metadata.error;
      if (error === undefined) host.loaded.add(model);
      const unwell = error !== undefined && (hostFailures.has(error.kind) || (error.kind === 'timeout' && !responded));
      const missing = error?.kind === 'model-not-found';
      if (error === undefined || !(unwell || missing) || options.signal?.aborted) {
        return this.#finish(result, failovers, started, attemptStarted - started);
      }
      if (missing) {
        // Its listing was out of date: forget the model there and look again later.
        host.models?.delete(model);
        host.stale = true;
      } else {
        this.#coolDown(host, error.message);
      }
      failovers.push({ host: host.shown, ...error });
      last = result;
    }
  }

  /** Chooses a host and counts the call on it before yielding, so concurrent callers see each other's load. */
  async #lease(model: string, runKey: string | undefined, tried: ReadonlySet<HostState>): Promise<HostState | undefined> {
    const usable = (h: HostState): boolean => !tried.has(h) && h.cooldownUntil <= this.#now();
    await Promise.all(this.#hosts.filter((h) => usable(h) && this.#isStale(h)).map((h) => this.#refreshHost(h)));
    const eligible = this.#hosts.filter((h) => usable(h) && h.models?.has(model) === true);
    if (eligible.length === 0) return undefined;
    const key = runKey === undefined ? undefined : `${runKey}\0${model}`;
    const sticky = key === undefined ? undefined : this.#sticky.get(key);
    const home = sticky !== undefined && eligible.includes(sticky) ? sticky : undefined;
    const best = (hosts: readonly HostState[]): HostState => hosts.reduce((top, h) => (compareHosts(h, top, model) < 0 ? h : top));
    let chosen: HostState;
    if (home === undefined) {
      chosen = best(eligible);
      if (key !== undefined) {
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
    return chosen;
  }

  #isStale(h: HostState): boolean {
    return h.stale || h.checkedAt === null || this.#now() - h.checkedAt >= this.#refreshMs;
  }

  #coolDown(h: HostState, why: string): void {
    h.cooldownUntil = this.#now() + this.#cooldownMs;
    h.lastError = why;
    h.stale = true;
  }

  /** GET /api/tags and /api/ps; a host that does not answer both cools down. Concurrent callers share one fetch. */
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
        const message = err instanceof Error ? err.message : String(err);
        this.#coolDown(h, `cannot list models on ${h.shown}: ${message}`);
      } finally {
        h.refreshing = undefined;
      }
    })();
    return h.refreshing;
  }

  /** No usable host: a missing model if every host is known and lacks it, else an infrastructure failure. */
  #noHost<T>(asked: string, model: string): ModelResult<T> {
    const now = this.#now();
    const down = this.#hosts.filter((h) => h.cooldownUntil > now || h.models === null);
    const error: CallError = down.length === 0
      ? { kind: 'model-not-found', message: `model '${asked}' not found on any host (${this.#hosts.map((h) => h.shown).join(', ')})` }
      : {
        kind: 'connection',
        message: `no healthy host has model '${asked}'; cooling down: ${down.map((h) => `${h.shown} (${h.lastError ?? 'not listed yet'})`).join('; ')}`,
      };
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

/** `hostSet.call` as a function, next to callModel. */
export function callWithHosts<T = unknown>(
  messages: readonly ChatMessage[],
  config: ModelConfigInput<T>,
  hostSet: HostSet,
  options: HostCallOptions = {},
): Promise<ModelResult<T>> {
  return hostSet.call(messages, config, options);
}
