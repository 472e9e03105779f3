// Model windows per host (cached), the token calibration learned from replies, and the per-call plan: num_ctx from a
// ladder of sizes, or a refusal when the prompt cannot fit; then the reply's check for truncation.
import { displayHost } from '../host.ts';
import { canonicalModel } from '../listing.ts';
import type { CallContext, CallError, ContextConfig, ToolSpec } from '../types.ts';
import { estimatePromptTokens, type EstimatedMessage } from './estimate.ts';
import { fetchModelWindow, type ModelWindowInfo } from './show.ts';

/**
 * num_ctx sizes a call is given: the smallest that fits prompt + reply. Few sizes means few reloads (Ollama reloads a
 * model for every new num_ctx); a size the model is already loaded with is preferred whenever it fits.
 */
export const defaultNumCtxLadder: readonly number[] = Object.freeze([4096, 8192, 16384, 32768, 65536, 131072, 262144]);

export interface ContextWindowsOptions {
  /** How old a model's window may get before it is asked again (in the background), in ms. Default 60 000. */
  refreshMs?: number;
  /** Deadline of one /api/show + /api/ps probe, in ms. Default 5 000. */
  probeTimeoutMs?: number;
  now?: () => number;
}

export interface ContextRequest {
  /** As resolveHost gives it (credentials included: it is dialled, never shown). */
  host: string;
  model: string;
  messages: readonly EstimatedMessage[];
  tools?: readonly ToolSpec[];
  maxTokens: number;
  /** The call's Ollama `options`: an explicit `num_ctx` there is respected. */
  options?: Readonly<Record<string, unknown>>;
  config?: ContextConfig;
  /** False: plan with what is already known and ask the host nothing (a call cancelled before it began). Default true. */
  probe?: boolean;
}

export type ContextPlan =
  | {
    ok: true;
    key: string;
    raw: number;
    maxTokens: number;
    /** The num_ctx sent; undefined: none (mode off). */
    numCtx: number | undefined;
    /** The context the call is known to run with: the num_ctx sent, else an explicit option or the Modelfile's. */
    runsWith: number | undefined;
    context: CallContext;
    onTruncation: 'escalate' | 'flag';
  }
  | { ok: false; error: CallError; context: CallContext };

/** What one host+model has taught: its window and how its tokenizer counts against the estimate. */
interface Entry {
  key: string;
  info: ModelWindowInfo | null;
  fetchedAt: number;
  fetching: Promise<void> | undefined;
  /** The num_ctx our last call there ran with: the model is loaded with it. */
  lastNumCtx: number | null;
  /** prompt_eval_count ÷ raw estimate, smoothed; and its mean relative deviation. */
  ratio: number;
  deviation: number;
  samples: number;
}

/** A status row, for people (`harness models`) and tests. */
export interface WindowStatus {
  host: string;
  model: string;
  trained: number | null;
  modelfileNumCtx: number | null;
  loadedNumCtx: number | null;
  ratio: number;
  samples: number;
}

// Before a model's tokenizer is learned the estimate may be off by the spread of the estimator over varied text; once
// learned, by a few times the deviation seen.
const UNCALIBRATED_MARGIN = 0.2;
const MIN_MARGIN = 0.08;
const LEARNED_AFTER = 3;
const SMOOTHING = 0.25;
const FAILED_RETRY_MS = 5_000;
/**
 * A count this far below the estimate is a cut, not an estimate error: the estimator overshoots varied text by less
 * (its worst case is a table of numbers under a vocabulary that groups digits, ~25 % over once calibrated).
 */
const CUT_DROP = 0.3;
/** How far below the host's count an estimate may fall (the estimator's worst underestimate of varied text, ~12 %). */
const ESTIMATE_SPREAD = 0.15;

const key = (host: string, model: string): string => `${displayHost(host)}\0${canonicalModel(model)}`;

/**
 * The smallest size of `ladder` that holds `need` tokens, within `cap`; a size the model is loaded with wins when it
 * fits (no reload). Above the ladder: `need` rounded up to 1,024. Null when `need` exceeds `cap`.
 */
export function chooseNumCtx(need: number, cap: number, ladder: readonly number[], loaded: number | null): number | null {
  if (need > cap) return null;
  if (loaded !== null && loaded >= need && loaded <= cap) return loaded;
  const rung = ladder.find((size) => size >= need);
  return Math.min(rung ?? Math.ceil(need / 1024) * 1024, cap);
}

/**
 * Windows of models on hosts, and the calibration of the token estimate per model and host. One per process is the
 * idea (a run's services carry it); `plan` is cheap once a model's window is known (a probe per model and host, then
 * refreshed in the background every `refreshMs`).
 */
export class ContextWindows {
  readonly #entries = new Map<string, Entry>();
  /** `host \0 model` as callers spell them → their entry: a call finds its entry without normalising names again. */
  readonly #spelled = new Map<string, Entry>();
  readonly #refreshMs: number;
  readonly #probeTimeoutMs: number;
  readonly #now: () => number;

  constructor(options: ContextWindowsOptions = {}) {
    this.#refreshMs = options.refreshMs ?? 60_000;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** The model's window on the host, asked once and refreshed in the background; null when the host cannot tell. */
  async window(host: string, model: string): Promise<ModelWindowInfo | null> {
    return this.#window(this.#entry(host, model), host, model);
  }

  async #window(entry: Entry, host: string, model: string): Promise<ModelWindowInfo | null> {
    const age = this.#now() - entry.fetchedAt;
    const due = entry.info === null ? age >= FAILED_RETRY_MS : age >= this.#refreshMs;
    if (due) {
      const fetching = this.#fetch(host, model, entry);
      // Known before: answer with it now and let the probe land later. Never known: wait for it.
      if (entry.info === null) await fetching;
    }
    return entry.info;
  }

  /** Forgets a model's window (the host no longer has it, or it changed): asked again before the next call. */
  forget(host: string, model: string): void {
    const entry = this.#entries.get(key(host, model));
    if (entry) {
      entry.info = null;
      entry.fetchedAt = -Infinity;
    }
  }

  /**
   * Decides the call's num_ctx, or refuses it. The estimate covers messages, tools and images, scaled by what this
   * model on this host has shown; the need is the estimate with its margin of error plus `maxTokens` for the reply.
   */
  async plan(request: ContextRequest): Promise<ContextPlan> {
    const config = request.config ?? {};
    const entry = this.#entry(request.host, request.model);
    const k = entry.key;
    const raw = estimatePromptTokens(request.messages, request.tools);
    const estimate = Math.ceil(raw * entry.ratio);
    const onTruncation = config.onTruncation ?? 'escalate';
    const purpose = config.purpose !== undefined ? { purpose: config.purpose } : {};
    const asked = request.options?.num_ctx;
    const explicit = typeof asked === 'number' && Number.isFinite(asked) && asked > 0 ? Math.floor(asked) : undefined;
    const info = request.probe === false ? entry.info : await this.#window(entry, request.host, request.model);
    // A num_ctx that is not a number is sent as given: the host refuses the request, as it would without the harness.
    if (config.mode === 'off' || (asked !== undefined && typeof asked !== 'number')) {
      // Nothing is chosen or refused; what the model runs with is known only when the request or its Modelfile says.
      const runsWith = explicit ?? info?.modelfileNumCtx ?? undefined;
      const window = Math.min(info?.trained ?? Infinity, runsWith ?? Infinity);
      const context: CallContext = { estimate, ...(explicit ? { numCtx: explicit } : {}), ...(Number.isFinite(window) ? { window } : {}), ...purpose };
      return { ok: true, key: k, raw, maxTokens: request.maxTokens, numCtx: explicit, runsWith, context, onTruncation };
    }
    const margin = entry.samples >= LEARNED_AFTER ? Math.max(MIN_MARGIN, 3 * entry.deviation) : UNCALIBRATED_MARGIN;
    const need = Math.ceil(estimate * (1 + margin)) + request.maxTokens;
    const trained = info?.trained ?? Infinity;
    const window = Math.min(trained, config.maxNumCtx ?? Infinity, explicit ?? Infinity);
    const shown = Number.isFinite(window) ? { window } : {};
    const loaded = entry.lastNumCtx ?? info?.loadedNumCtx ?? null;
    const numCtx = explicit !== undefined ? (need <= window ? window : null) : chooseNumCtx(need, window, config.ladder ?? defaultNumCtxLadder, loaded);
    if (numCtx === null) {
      const limits = [
        info?.trained ? `trained for ${info.trained}` : null,
        config.maxNumCtx !== undefined ? `limit ${config.maxNumCtx}` : null,
        explicit !== undefined ? `options.num_ctx ${explicit}` : null,
      ].filter(Boolean).join(', ');
      const message = `prompt of ~${estimate} tokens (+${Math.ceil(estimate * margin)} margin, +${request.maxTokens} for the reply) does not fit ` +
        `${request.model}'s window of ${window} tokens on ${displayHost(request.host)} (${limits}): not sent`;
      return { ok: false, error: { kind: 'context', message }, context: { estimate, ...shown, ...purpose } };
    }
    return { ok: true, key: k, raw, maxTokens: request.maxTokens, numCtx, runsWith: numCtx, context: { estimate, numCtx, ...shown, ...purpose }, onTruncation };
  }

  /**
   * The reply's check: `promptEvalCount` (the host's count of what it evaluated) against the estimate. Far fewer
   * tokens than estimated means the host cut the prompt; more than planned and a window left too small for the reply
   * means it may have. A count that is plausible teaches the calibration.
   */
  observe(plan: Extract<ContextPlan, { ok: true }>, promptEvalCount: number | undefined): CallContext {
    const context: CallContext = { ...plan.context };
    if (promptEvalCount === undefined || !(promptEvalCount > 0)) return context;
    context.promptTokens = promptEvalCount;
    const entry = this.#entries.get(plan.key);
    if (!entry) return context;
    const expected = plan.context.estimate;
    if (plan.numCtx !== undefined) entry.lastNumCtx = plan.numCtx;
    const runsWith = plan.runsWith;
    const overWindow = runsWith !== undefined && expected * (1 - ESTIMATE_SPREAD) > runsWith && promptEvalCount <= runsWith;
    if (promptEvalCount < expected * (1 - CUT_DROP) || overWindow) {
      context.truncated = true;
      context.truncation = `the host evaluated ${promptEvalCount} tokens of a prompt estimated at ${expected}${runsWith !== undefined ? ` (num_ctx ${runsWith})` : ''}: it cut the prompt`;
      return context; // a cut prompt says nothing about the tokenizer
    }
    // num_ctx was chosen to hold the estimate, its margin and the reply: a prompt that left less than that for the reply
    // was underestimated by more than the margin, and whether the host cut it cannot be told from the count.
    if (plan.numCtx !== undefined && promptEvalCount + plan.maxTokens > plan.numCtx) {
      context.truncated = true;
      context.truncation = `the prompt took ${promptEvalCount} of num_ctx ${plan.numCtx} tokens (estimated ${expected}), leaving less than the ${plan.maxTokens} asked for the reply: it may have been cut`;
    }
    this.#learn(entry, promptEvalCount / plan.raw);
    return context;
  }

  /** What is known, per host and model. */
  status(): WindowStatus[] {
    return [...this.#entries].map(([k, e]) => {
      const [host = '', model = ''] = k.split('\0');
      return { host, model, trained: e.info?.trained ?? null, modelfileNumCtx: e.info?.modelfileNumCtx ?? null, loadedNumCtx: e.lastNumCtx ?? e.info?.loadedNumCtx ?? null, ratio: e.ratio, samples: e.samples };
    });
  }

  #learn(entry: Entry, sample: number): void {
    if (!Number.isFinite(sample) || sample <= 0) return;
    if (entry.samples === 0) {
      entry.ratio = sample;
      entry.deviation = 0;
    } else {
      entry.deviation += SMOOTHING * (Math.abs(sample - entry.ratio) / entry.ratio - entry.deviation);
      entry.ratio += SMOOTHING * (sample - entry.ratio);
    }
    entry.samples++;
  }

  #entry(host: string, model: string): Entry {
    const spelled = `${host}\0${model}`;
    const known = this.#spelled.get(spelled);
    if (known) return known;
    const k = key(host, model);
    let entry = this.#entries.get(k);
    if (!entry) {
      entry = { key: k, info: null, fetchedAt: -Infinity, fetching: undefined, lastNumCtx: null, ratio: 1, deviation: 0, samples: 0 };
      this.#entries.set(k, entry);
    }
    // Spellings are few per process (the hosts and models a workflow names): kept as long as the entry.
    this.#spelled.set(spelled, entry);
    return entry;
  }

  #fetch(host: string, model: string, entry: Entry): Promise<void> {
    entry.fetching ??= (async () => {
      try {
        const info = await fetchModelWindow(host, model, this.#probeTimeoutMs);
        // A model re-pulled or re-created under the same name may tokenize differently: learn it again.
        if (entry.info !== null && info.modifiedAt !== entry.info.modifiedAt) {
          entry.samples = 0;
          entry.ratio = 1;
          entry.deviation = 0;
          entry.lastNumCtx = null;
        }
        entry.info = info;
      } catch {
        // The host cannot tell (down, no /api/show): plan without a trained length; the call itself will say more.
      } finally {
        entry.fetchedAt = this.#now();
        entry.fetching = undefined;
      }
    })();
    return entry.fetching;
  }
}

/** The process's own windows, for calls given none (`callModel` from code). A run's services carry their own. */
export const defaultContextWindows = new ContextWindows();
