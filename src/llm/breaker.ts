// One host's circuit breaker: opens on a rate of host failures over a window of recent calls, or at once when the
// server does not answer at all; after the open period one trial call decides whether it closes or opens again.
import { ConfigError } from './errors.ts';

export interface BreakerOptions {
  /** Calls older than this no longer count, in ms. Default 60 000. */
  windowMs?: number;
  /** Only the most recent this many calls count. Default 50. */
  windowCalls?: number;
  /** Host failures ÷ calls in the window at or above which the breaker opens. Default 0.5. */
  failureRate?: number;
  /** Calls the window must hold before the rate can open the breaker. Default 10. */
  minCalls?: number;
  /** How long the breaker stays open before a trial call, in ms; doubled after each failed trial. Default 15 000. */
  openMs?: number;
  /** The longest open period, in ms. Default 60 000. */
  maxOpenMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A breaker as `hosts.status()` shows it. Times are epoch ms. */
export interface BreakerStatus {
  /** closed: calls flow; open: none until `openUntil`; half-open: the next call is a trial (`trial`: it is in flight). */
  state: BreakerState;
  openUntil: number | null;
  trial: boolean;
  /** Calls and host failures in the window (calls made while closed), and their ratio (null with no calls). */
  calls: number;
  failures: number;
  failureRate: number | null;
  /** Why it last opened; null if it never did. */
  openedBecause: string | null;
}

/** How a call that was let through ended, for the breaker. */
export type Outcome =
  /** The host answered: a reply, or a failure that is not the host's (invalid output, a missing model, a 400). */
  | 'success'
  /** The host failed: refused, reset, 5xx/503, or no headers before the deadline. */
  | 'failure'
  /** No verdict: the caller gave up first. */
  | 'inconclusive';

/** What `admit` hands out and `report` takes back: which call was the trial. */
export interface Admission {
  readonly trial: boolean;
}

const defaults: Required<BreakerOptions> = {
  windowMs: 60_000,
  windowCalls: 50,
  failureRate: 0.5,
  minCalls: 10,
  openMs: 15_000,
  maxOpenMs: 60_000,
};

/** The options with defaults filled in; a bad value is a ConfigError naming it. */
export function breakerOptions(options: BreakerOptions = {}): Required<BreakerOptions> {
  const o = { ...defaults, ...options };
  const check = (ok: boolean, name: keyof BreakerOptions, what: string): void => {
    if (!ok) throw new ConfigError(`invalid breaker option ${name}: must be ${what}, got ${String(o[name])}`);
  };
  check(Number.isFinite(o.windowMs) && o.windowMs > 0, 'windowMs', 'a positive number of ms');
  check(Number.isInteger(o.windowCalls) && o.windowCalls >= 1, 'windowCalls', 'a positive integer');
  check(o.failureRate > 0 && o.failureRate <= 1, 'failureRate', 'above 0 and at most 1');
  check(Number.isInteger(o.minCalls) && o.minCalls >= 1 && o.minCalls <= o.windowCalls, 'minCalls', `an integer from 1 to windowCalls (${o.windowCalls})`);
  check(Number.isFinite(o.openMs) && o.openMs > 0, 'openMs', 'a positive number of ms');
  check(Number.isFinite(o.maxOpenMs) && o.maxOpenMs >= o.openMs, 'maxOpenMs', `a number of ms of at least openMs (${o.openMs})`);
  return o;
}

export class Breaker {
  readonly #options: Required<BreakerOptions>;
  readonly #now: () => number;
  /** The window: when each recent call ended and whether the host failed it, oldest first. */
  readonly #window: { at: number; failed: boolean }[] = [];
  #open = false;
  #openUntil = 0;
  /** Trials that failed in a row: each doubles the next open period. */
  #failedTrials = 0;
  #openedBecause: string | null = null;
  #trial: { admission: Admission; settled: Promise<void>; settle: () => void } | undefined;

  constructor(options: Required<BreakerOptions>, now: () => number) {
    this.#options = options;
    this.#now = now;
  }

  get state(): BreakerState {
    if (!this.#open) return 'closed';
    return this.#now() < this.#openUntil ? 'open' : 'half-open';
  }

  /** Whether a call may be sent now: closed, or half-open with no trial in flight. */
  get available(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half-open' && this.#trial === undefined);
  }

  /** Resolves when the trial in flight ends (whatever its verdict); undefined when there is none. */
  get trialSettled(): Promise<void> | undefined {
    return this.#trial?.settled;
  }

  /** Lets one call through (check `available` first): while half-open it is the trial, and no other call is let through. */
  admit(): Admission {
    const admission: Admission = { trial: this.state === 'half-open' };
    if (admission.trial) {
      let settle: () => void = () => {};
      const settled = new Promise<void>((resolve) => (settle = resolve));
      this.#trial = { admission, settled, settle };
    }
    return admission;
  }

  /** How an admitted call ended. Calls sent before the breaker opened find it open and change nothing. */
  report(admission: Admission, outcome: Outcome, why = ''): void {
    if (admission.trial) {
      if (this.#trial?.admission !== admission) return; // the server was found down meanwhile: already re-opened
      if (outcome === 'success') this.#close();
      else if (outcome === 'failure') this.#reopen(`trial call failed: ${why}`);
      else this.#endTrial(); // another call may be the trial
      return;
    }
    if (this.#open || outcome === 'inconclusive') return;
    const now = this.#now();
    this.#window.push({ at: now, failed: outcome === 'failure' });
    this.#prune(now);
    if (outcome !== 'failure') return;
    const { calls, failures } = this.#counts();
    if (calls >= this.#options.minCalls && failures / calls >= this.#options.failureRate) {
      this.#openFor(this.#options.openMs, `${failures} of the last ${calls} calls failed (last: ${why})`);
    }
  }

  /** The server did not answer at all (its model listing failed): open now, or again if a trial was due. */
  down(why: string): void {
    const state = this.state;
    if (state === 'closed') this.#openFor(this.#options.openMs, why);
    else if (state === 'half-open') this.#reopen(why);
  }

  status(): BreakerStatus {
    const state = this.state;
    this.#prune(this.#now());
    const { calls, failures } = this.#counts();
    return {
      state,
      openUntil: state === 'open' ? this.#openUntil : null,
      trial: this.#trial !== undefined,
      calls,
      failures,
      failureRate: calls === 0 ? null : failures / calls,
      openedBecause: this.#openedBecause,
    };
  }

  #openFor(ms: number, why: string): void {
    this.#open = true;
    this.#openUntil = this.#now() + ms;
    this.#openedBecause = why;
    this.#endTrial();
  }

  /** A trial failed or the server was found down while one was due: open for twice as long as last time, capped. */
  #reopen(why: string): void {
    this.#failedTrials += 1;
    const { openMs, maxOpenMs } = this.#options;
    this.#openFor(Math.min(maxOpenMs, openMs * 2 ** this.#failedTrials), why);
  }

  /** A fresh start: what failed before the breaker opened says nothing about the host now. */
  #close(): void {
    this.#open = false;
    this.#failedTrials = 0;
    this.#window.length = 0;
    this.#endTrial();
  }

  #endTrial(): void {
    this.#trial?.settle();
    this.#trial = undefined;
  }

  #prune(now: number): void {
    const oldest = now - this.#options.windowMs;
    while (this.#window.length > this.#options.windowCalls || (this.#window[0] !== undefined && this.#window[0].at <= oldest)) {
      this.#window.shift();
    }
  }

  #counts(): { calls: number; failures: number } {
    let failures = 0;
    for (const call of this.#window) if (call.failed) failures += 1;
    return { calls: this.#window.length, failures };
  }
}
