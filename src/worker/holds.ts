// Runs a worker puts off for a while: one seen locked by another driver, or refused (with a growing backoff).
export interface Hold {
  until: number;
  /** Refusals in a row: each doubles the wait, up to the cap. */
  strikes: number;
}

/** `baseMs` doubled for each strike after the first, capped: the wait before the next try. */
export const doublingMs = (strikes: number, baseMs: number, capMs: number): number => Math.min(capMs, baseMs * 2 ** (Math.max(1, strikes) - 1));

export class Holds {
  readonly #holds = new Map<string, Hold>();

  constructor(private readonly baseMs: number, private readonly capMs: number) {}

  held(runId: string, now: number): boolean {
    const hold = this.#holds.get(runId);
    return hold !== undefined && hold.until > now;
  }

  /** A short pause (the lock was held): no strike. */
  pause(runId: string, ms: number, now: number): void {
    const strikes = this.#holds.get(runId)?.strikes ?? 0;
    this.#holds.set(runId, { until: now + ms, strikes });
  }

  /** A refusal: the run waits base·2^strikes (capped) before it is tried again; returns the retry time. */
  strike(runId: string, now: number): number {
    const strikes = (this.#holds.get(runId)?.strikes ?? 0) + 1;
    const until = now + doublingMs(strikes, this.baseMs, this.capMs);
    this.#holds.set(runId, { until, strikes });
    return until;
  }

  clear(runId: string): void {
    this.#holds.delete(runId);
  }
}
