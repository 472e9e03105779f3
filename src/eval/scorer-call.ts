// A scorer (schema, rules, judge, composite) used as an assertion: the one place an assertion's model calls are made.
import { backoffDelay, defaultModelConfig, isOutage, type ModelConfigInput } from '../llm/index.ts';
import type { ChatMessage, ModelResult } from '../llm/types.ts';
import type { Score, ScoreCall, ScoreInput, Scorer } from '../score/types.ts';
import { callThrough } from '../steps/call-through.ts';
import { defaultOutagePolicy, type StepServices } from '../steps/services.ts';

/**
 * What an eval lends its assertions' scorers: the runs' host set, host limiter and call cache, and their outage policy.
 * No journal: an assertion grades a finished run and is checked again (free, from the cache) when it changes.
 */
export type AssertionServices = Pick<StepServices, 'hosts' | 'limiter' | 'cache' | 'outage'>;

/**
 * Scores a finished run's output. A judge's call goes through the eval's services like every call the runs make:
 * routed over the hosts, limited, cached; an outage is ridden out with backoff for the outage policy's `parkAfterMs`
 * (never scored 0 at its first refusal), after which the failed call is the scorer's to report.
 */
export async function scoreAsAssertion(scorer: Scorer, input: ScoreInput, signal: AbortSignal, services?: AssertionServices): Promise<Score> {
  if (!services) return scorer(input, { signal });
  return scorer(input, { signal, call: assertionCall(services, signal) });
}

function assertionCall(services: AssertionServices, signal: AbortSignal): ScoreCall {
  const run: StepServices = { journal: null, budget: null, limiter: services.limiter ?? null, hosts: services.hosts ?? null, ...(services.cache ? { cache: services.cache } : {}) };
  const { parkAfterMs } = services.outage ?? defaultOutagePolicy;
  return async (messages: ChatMessage[], config: ModelConfigInput): Promise<ModelResult> => {
    const model = config.model ?? defaultModelConfig.model;
    const started = Date.now();
    for (let tries = 0; ; tries++) {
      const request = { key: `assertion/${tries}`, step: 'assertion (judge)', attemptKey: 'assertion', attempt: 1, messages, config: { ...config, model }, ownHost: true };
      const made = await callThrough(run, request, signal);
      made.span.end();
      made.leave();
      const kind = made.result.metadata.error?.kind;
      if (kind === undefined || !isOutage(kind) || signal.aborted || Date.now() - started >= parkAfterMs) return made.result;
      await pause(backoffDelay(tries, { baseMs: defaultModelConfig.retryDelayMs }), signal);
    }
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
