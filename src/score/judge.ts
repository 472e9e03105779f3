// An LLM judge: a second model grades the reply against a rubric, and its verdict is schema-validated.
import { z } from 'zod';
import { callModel } from '../llm/index.ts';
import type { ChatMessage, ModelResult } from '../llm/types.ts';
import type { Score, ScoreInput, Scorer } from './types.ts';

export interface JudgeSpec {
  model: string;
  /** What a good reply looks like; the judge scores against this alone. */
  rubric: string;
  host?: string;
  timeoutMs?: number;
  /** pass = value ≥ passThreshold, on the [0, 1] scale (a verdict of 7/10 is 0.7). */
  passThreshold?: number;
  maxTokens?: number;
}

export const verdictSchema = z.object({
  score: z.number().min(0).max(10),
  reasons: z.array(z.string()),
});

export type Verdict = z.infer<typeof verdictSchema>;

/** The task the judged model was given: the last user message, when the conversation is known. */
function taskOf(messages: ChatMessage[] | undefined): string | undefined {
  return messages?.findLast((message) => message.role === 'user')?.content;
}

export function judgeMessages(rubric: string, input: ScoreInput): ChatMessage[] {
  const task = taskOf(input.messages);
  const system = [
    'You are a strict, impartial evaluator. Grade the response below against the rubric.',
    'Score from 0 (does not meet the rubric at all) to 10 (fully meets it), and give short, specific reasons.',
    'Reply with JSON only, exactly: {"score": <number 0-10>, "reasons": ["..."]}.',
    '',
    '<rubric>',
    rubric,
    '</rubric>',
    ...(task === undefined ? [] : ['', '<task>', task, '</task>']),
    '',
    '<response>',
    input.content,
    '</response>',
  ].join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: 'Grade the response in <response> against the rubric. Reply with the JSON verdict only.' },
  ];
}

function failed(reasons: string[], passThreshold: number | undefined, call?: ModelResult): Score {
  const score: Score = { value: 0, reasons };
  if (passThreshold !== undefined) score.pass = false;
  if (call) score.call = call;
  return score;
}

/**
 * Scores verdict.score / 10. Never throws: a failed or invalid judge call scores 0 with a reason naming the
 * failure kind, so a flaky judge lowers a score rather than crashing a workflow. The judge's own call is kept
 * in `call`. Its model call goes through `options.call` when the scorer is lent one (a model step lends the run's: hosts,
 * limiter, journal, budget, spans), else straight to the judge's host; an explicit `host` is kept either way. A step
 * discards the score of a judge call the host failed (an outage is no verdict) and judges again once the host is back.
 */
export function judgeScorer(spec: JudgeSpec): Scorer & { readonly models: readonly string[] } {
  if (!spec.model) throw new RangeError('judgeScorer: model must be a non-empty string');
  if (!spec.rubric?.trim()) throw new RangeError('judgeScorer: rubric must be a non-empty string');
  const { passThreshold } = spec;
  if (passThreshold !== undefined && !(passThreshold >= 0 && passThreshold <= 1)) {
    throw new RangeError(`judgeScorer: passThreshold must be within [0, 1], got ${String(passThreshold)}`);
  }
  const config = {
    model: spec.model,
    schema: verdictSchema,
    temperature: 0,
    ...(spec.host === undefined ? {} : { host: spec.host }),
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.maxTokens === undefined ? {} : { maxTokens: spec.maxTokens }),
  };
  // `models` names the judge's model for preflight checks (a step lists it in its machine's meta).
  const scorer: Scorer = async (input, options) => {
    let call: ModelResult;
    try {
      const messages = judgeMessages(spec.rubric, input);
      call = options?.call
        ? await options.call(messages, config)
        : await callModel(messages, config, options?.signal ? { signal: options.signal } : {});
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return failed([`judge failed (error): ${message}`], passThreshold);
    }
    const parsed = call.success ? verdictSchema.safeParse(call.data) : undefined;
    if (!parsed?.success) {
      const kind = call.metadata.error?.kind ?? 'invalid-output';
      const message = call.metadata.error?.message ?? 'verdict missing from a successful call';
      const issues = (call.metadata.issues ?? []).map((issue) => `judge verdict ${issue.path || '(root)'}: ${issue.message}`);
      return failed([`judge failed (${kind}): ${message}`, ...issues], passThreshold, call);
    }
    const value = parsed.data.score / 10;
    const score: Score = { value, reasons: parsed.data.reasons, call };
    if (passThreshold !== undefined) score.pass = value >= passThreshold;
    return score;
  };
  return Object.assign(scorer, { models: [spec.model] });
}
