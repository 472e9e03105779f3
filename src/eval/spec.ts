// `defineEval`: an eval file's default export, checked when the file is loaded.
import { isWorkflow } from '../steps/workflow.ts';
import type { EvalSpec } from './types.ts';

const evalBrand = Symbol.for('xstate-llm-harness.eval');

/** An eval file's default export; `harness eval` and the variant modules it writes recognise it. */
export type EvalDefinition = EvalSpec & { readonly [evalBrand]: true };

export function isEvalDefinition(value: unknown): value is EvalDefinition {
  return typeof value === 'object' && value !== null && evalBrand in value && isWorkflow(Reflect.get(value, 'workflow'));
}

/**
 * Declares an evaluation: a workflow, its dataset, assertions and variants. Default-export it from a `*.eval.ts` file
 * and run it with `harness eval <file>`. Variants name model steps by their `id`; `{}` is the workflow as written.
 *
 * @example
 * export default defineEval({
 *   workflow: extract,
 *   dataset: './invoices.jsonl',
 *   assert: [assert.equals('invoice.invoiceNumber'), assert.near('invoice.total', { tolerance: 0.01 })],
 *   variants: { ladder: {}, 'big-only': { steps: { extract: { ladder: ['qwen2.5-coder:32b'] } } } },
 * });
 */
export function defineEval(spec: EvalSpec): EvalDefinition {
  if (!isWorkflow(spec.workflow)) throw new TypeError('defineEval: workflow must be made with defineWorkflow()');
  const { concurrency } = spec;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new TypeError(`defineEval: concurrency must be a whole number ≥ 1, got ${String(concurrency)}`);
  }
  if (spec.variants !== undefined && Object.keys(spec.variants).length === 0) throw new TypeError('defineEval: variants is empty (leave it out for the workflow as written)');
  return Object.freeze({ ...spec, [evalBrand]: true as const });
}
