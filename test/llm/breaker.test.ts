// One host's circuit breaker on its own, on a clock the test moves: the rate rule, the window, trials and backoff.
import { describe, expect, it } from 'vitest';
import { Breaker, breakerOptions, type BreakerOptions, type Outcome } from '../../src/llm/breaker.ts';
import { ConfigError } from '../../src/llm/errors.ts';

function breaker(options: BreakerOptions = {}) {
  let t = 1_000_000;
  const b = new Breaker(breakerOptions(options), () => t);
  /** Lets one call through and reports how it ended. */
  const call = (outcome: Outcome, why = 'boom'): void => b.report(b.admit(), outcome, why);
  return { b, call, advance: (ms: number) => { t += ms; }, now: () => t };
}

describe('Breaker', () => {
  it('has documented defaults, and refuses bad options with the option named', () => {
    expect(breakerOptions()).toEqual({ windowMs: 60_000, windowCalls: 50, failureRate: 0.5, minCalls: 10, openMs: 15_000, maxOpenMs: 60_000 });
    expect(() => breakerOptions({ failureRate: 0 })).toThrow(ConfigError);
    expect(() => breakerOptions({ minCalls: 60 })).toThrow(/minCalls: must be an integer from 1 to windowCalls \(50\), got 60/);
    expect(() => breakerOptions({ openMs: 10_000, maxOpenMs: 5_000 })).toThrow(/maxOpenMs/);
    expect(() => breakerOptions({ windowMs: Number.NaN })).toThrow(/windowMs/);
  });

  it('opens only once the window holds minCalls and the failure rate reaches the threshold', () => {
    const { b, call, now } = breaker({ minCalls: 4, failureRate: 0.5 });
    call('failure');
    call('failure');
    call('failure'); // 3 of 3: a rate of 1, but too few calls to judge
    expect(b.status()).toMatchObject({ state: 'closed', calls: 3, failures: 3, failureRate: 1 });
    call('success'); // 3 of 4 — the rule is checked on a failure
    expect(b.state).toBe('closed');
    call('failure');
    expect(b.status()).toMatchObject({ state: 'open', openUntil: now() + 15_000, calls: 5, failures: 4, openedBecause: '4 of the last 5 calls failed (last: boom)' });
    expect(b.available).toBe(false);
  });

  it('counts only the last windowCalls calls, and none older than windowMs', () => {
    const { b, call, advance } = breaker({ minCalls: 4, windowCalls: 6, windowMs: 10_000, failureRate: 0.5 });
    for (const outcome of ['failure', 'failure', 'success', 'success', 'success', 'success', 'success'] as const) call(outcome);
    expect(b.status()).toMatchObject({ calls: 6, failures: 1 }); // the first failure fell out
    advance(10_000);
    expect(b.status()).toMatchObject({ calls: 0, failures: 0, failureRate: null });
    call('failure');
    call('failure');
    call('failure');
    expect(b.state).toBe('closed'); // the successes that would have diluted the rate are gone, but so are 3 calls
    call('failure');
    expect(b.state).toBe('open');
  });

  it('lets one trial call through when half-open: success closes with a fresh window, failure re-opens with backoff', () => {
    const { b, call, advance, now } = breaker({ openMs: 1_000, maxOpenMs: 5_000, minCalls: 1 });
    call('failure');
    expect(b.status()).toMatchObject({ state: 'open', openUntil: now() + 1_000 });
    advance(1_000);
    expect(b.status()).toMatchObject({ state: 'half-open', openUntil: null, trial: false });
    for (const open of [2_000, 4_000, 5_000, 5_000]) {
      const trial = b.admit();
      expect([trial.trial, b.available, b.status().trial]).toEqual([true, false, true]);
      b.report(trial, 'failure', 'still down');
      expect(b.status()).toMatchObject({ state: 'open', openUntil: now() + open, openedBecause: 'trial call failed: still down' });
      advance(open);
    }
    const trial = b.admit();
    b.report(trial, 'success');
    expect(b.status()).toMatchObject({ state: 'closed', calls: 0, failures: 0, trial: false });
    call('failure'); // the backoff starts over: the next open period is openMs again
    expect(b.status()).toMatchObject({ state: 'open', openUntil: now() + 1_000 });
  });

  it('settles waiters on the trial, frees the trial when the caller gave up, and ignores calls sent before it opened', async () => {
    const { b, call, advance } = breaker({ openMs: 1_000, minCalls: 2 });
    const straggler = b.admit(); // in flight while the breaker opens
    call('failure');
    call('failure');
    expect(b.state).toBe('open');
    b.report(straggler, 'success');
    expect(b.state).toBe('open'); // only a trial decides

    advance(1_000);
    expect(b.trialSettled).toBeUndefined();
    const first = b.admit();
    const settled = b.trialSettled;
    expect(settled).toBeInstanceOf(Promise);
    b.report(first, 'inconclusive');
    await settled;
    expect([b.state, b.available, b.trialSettled]).toEqual(['half-open', true, undefined]);

    const second = b.admit();
    b.down('cannot list models'); // the server was found down while the trial was in flight
    expect(b.status()).toMatchObject({ state: 'open', openedBecause: 'cannot list models' });
    b.report(second, 'success'); // its verdict comes too late
    expect(b.state).toBe('open');
  });

  it('opens at once when the server does not answer at all, and stays as it is when already open', () => {
    const { b, advance, now } = breaker({ openMs: 1_000 });
    b.down('cannot list models on h: connection refused');
    expect(b.status()).toMatchObject({ state: 'open', openUntil: now() + 1_000, openedBecause: 'cannot list models on h: connection refused' });
    advance(500);
    b.down('again');
    expect(b.status()).toMatchObject({ openUntil: now() + 500, openedBecause: 'cannot list models on h: connection refused' });
    advance(500);
    b.down('still refused'); // half-open: a failed check is a failed trial
    expect(b.status()).toMatchObject({ state: 'open', openUntil: now() + 2_000 });
  });
});
