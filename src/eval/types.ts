// The shapes of an evaluation: cases, assertions and their verdicts, variants of a workflow, and the eval file's spec.
import type { ChatMessage } from '../llm/types.ts';
import type { Scorer } from '../score/types.ts';
import type { ModelStepSpec } from '../steps/model-step.ts';
import type { Workflow } from '../steps/workflow.ts';
import type { RunRecord } from '../store/index.ts';
import type { SimulatorOptions } from '../testing/simulator/types.ts';
import type { AssertionServices } from './scorer-call.ts';

/** How a case's run should end: `done`, or `flagged` for a case the workflow must refuse. */
export type ExpectedStatus = 'done' | 'flagged';

/** One case of a dataset: the workflow's input, what it should give, and assertions of its own. */
export interface EvalCase {
  /** Names the case in reports and in its runs' ids: letters, digits, '_' and '-' (at most 39). */
  id: string;
  input: unknown;
  /** What the output should hold; assertions without a value of their own compare against it. */
  expected?: unknown;
  status: ExpectedStatus;
  /** The case's own assertions, checked besides the eval's. */
  assert: Assertion[];
  /** Where the case was read, for messages: `invoices.jsonl:12`. */
  source: string;
}

/** What an assertion looks at: the finished run and the case it ran. */
export interface AssertionContext {
  /** The run's output (what the workflow's machine returned); undefined when it has none. */
  output: unknown;
  expected: unknown;
  input: unknown;
  run: RunRecord;
  signal: AbortSignal;
  /** The eval's hosts, limiter, call cache and outage policy: a judge used as an assertion calls through them. */
  services?: AssertionServices;
}

/** One assertion's verdict. `pass: null` is skipped (nothing to compare against): it counts neither way. */
export interface Verdict {
  pass: boolean | null;
  /** In [0, 1]: 1 or 0 for a comparison, the score itself for a scorer. */
  score: number;
  reason?: string;
}

export interface Assertion {
  /** What reports call it: `equals invoice.total`, `score rules ≥ 0.8`, `custom totals add up`. */
  readonly name: string;
  /** What makes it the same assertion next time (its spec; a function's source): a result kept under another is re-checked. */
  readonly fingerprint: string;
  check(context: AssertionContext): Verdict | Promise<Verdict>;
}

/** Assertions a dataset (JSON) can declare: each compares the output, or the value at a JSON path of it. */
export type AssertionSpec =
  /** Deep equality with `value`, or with the case's `expected` at the same path. */
  | { type: 'equals'; path?: string; value?: unknown }
  /** A string that includes `value`, or an array with an element deeply equal to it. */
  | { type: 'contains'; path?: string; value: unknown }
  /** A string the regular expression matches. */
  | { type: 'matches'; path?: string; pattern: string; flags?: string }
  /** A number within `tolerance` of `value` (or of the expected number at the same path). */
  | { type: 'near'; path?: string; value?: number; tolerance: number };

/** What a variant changes in one model step (by its `id`); everything else stays as the workflow wrote it. */
export interface StepOverrides {
  /** The models to try, smallest first. */
  ladder?: readonly string[];
  /** One model alone: the same as `ladder: [model]`. */
  model?: string;
  maxRetries?: number;
  threshold?: number;
  scorer?: Scorer;
  /** Another prompt: annotate its input with the step's input type. */
  prompt?: (input: never) => ChatMessage[];
  /** Another system message: replaces the prompt's first system message (or comes first when it has none). */
  system?: string;
  /** Merged into the step's own config (temperature, maxTokens, options…). */
  config?: ModelStepSpec<never>['config'];
}

/** A variant of the workflow: the same machine with some model steps changed. `{}` is the workflow as written. */
export interface VariantSpec {
  steps?: Readonly<Record<string, StepOverrides>>;
}

/** An eval file's default export (made with `defineEval`): a workflow, a dataset, assertions and variants. */
export interface EvalSpec {
  workflow: Workflow;
  /** The dataset (.jsonl, .json or .csv), relative to the eval file; `--dataset` overrides it. */
  dataset?: string;
  /** Checked on every case expected `done` (a case's own assertions are checked whatever it expects). */
  assert?: readonly Assertion[];
  /** Variants by name (letters, digits and '-'); default one variant, `default`, the workflow as written. */
  variants?: Readonly<Record<string, VariantSpec>>;
  /** Cases run at once (default 4). */
  concurrency?: number;
  /** Use the call cache unless `--no-cache` (default false: opt in with this or `--cache`). */
  cache?: boolean;
  /** The simulator `--simulate` starts in the eval's process (scripted replies, latency…): runs offline. */
  simulator?: SimulatorOptions;
}
