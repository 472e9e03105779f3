// Variants of a workflow without rewriting it: model steps rebuilt from their kept spec with another ladder, model,
// prompt or threshold, swapped in by name with `machine.provide` (XState machines are immutable).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AnyActorLogic, AnyStateMachine } from 'xstate';
import type { ChatMessage } from '../llm/types.ts';
import { modelStep } from '../steps/model-step.ts';
import { stepSpecOf, type KeptStepSpec } from '../steps/step-spec.ts';
import { isWorkflow, type Workflow } from '../steps/workflow.ts';
import { shown } from './assertions.ts';
import { EvalInputError } from './errors.ts';
import { isEvalDefinition } from './spec.ts';
import type { StepOverrides, VariantSpec } from './types.ts';

/** One variant as an eval runs it: its name, what it changes, and the workflow with the change made. */
export interface Variant {
  name: string;
  spec: VariantSpec;
  /** What it changes, for reports: `extract.ladder=qwen2.5-coder:32b`, or `the workflow as written`. */
  description: string;
  workflow: Workflow;
}

/** Variant names leave out '_': a run id is `<variant>_<case>`, unambiguous for any case id. */
export const variantName = /^[A-Za-z0-9-]{1,24}$/;

/** The name of the one variant of an eval that declares none: the workflow as written. */
export const defaultVariant = 'default';

function isMachine(logic: AnyActorLogic): logic is AnyStateMachine {
  return 'root' in logic && 'implementations' in logic;
}

/** The prompt with its first system message replaced by `system` (or `system` first when it has none). */
function withSystem(messages: ChatMessage[], system: string): ChatMessage[] {
  const at = messages.findIndex((message) => message.role === 'system');
  if (at < 0) return [{ role: 'system', content: system }, ...messages];
  return messages.map((message, i) => (i === at ? { ...message, content: system } : message));
}

/** The step built again from its spec with the overrides applied. */
function rebuilt(spec: KeptStepSpec, o: StepOverrides): AnyStateMachine {
  const prompt = o.prompt ?? spec.prompt;
  const { system } = o;
  const next: KeptStepSpec = { ...spec, prompt: system === undefined ? prompt : (input: never) => withSystem(prompt(input), system) };
  if (o.model !== undefined) next.ladder = [o.model];
  else if (o.ladder !== undefined) next.ladder = [...o.ladder];
  if (o.maxRetries !== undefined) next.maxRetries = o.maxRetries;
  if (o.threshold !== undefined) next.threshold = o.threshold;
  if (o.scorer !== undefined) next.scorer = o.scorer;
  if (o.config !== undefined) next.config = { ...spec.config, ...o.config };
  return modelStep(next);
}

/** Replaces the overridden steps wherever they are registered by name, in the machine and the machines it invokes. */
function replaceSteps(machine: AnyStateMachine, steps: Readonly<Record<string, StepOverrides>>, found: Set<string>, seen: Map<AnyStateMachine, AnyStateMachine>): AnyStateMachine {
  const done = seen.get(machine);
  if (done) return done;
  seen.set(machine, machine);
  const replaced: Record<string, AnyActorLogic> = {};
  for (const [name, entry] of Object.entries(machine.implementations.actors)) {
    if (!('transition' in entry) || !isMachine(entry)) continue;
    const spec = stepSpecOf(entry);
    if (spec) found.add(spec.id);
    const overrides = spec ? steps[spec.id] : undefined;
    if (spec && overrides) replaced[name] = rebuilt(spec, overrides);
    else {
      const inner = replaceSteps(entry, steps, found, seen);
      if (inner !== entry) replaced[name] = inner;
    }
  }
  const result = Object.keys(replaced).length > 0 ? machine.provide({ actors: replaced }) : machine;
  seen.set(machine, result);
  return result;
}

/** Checks one step's overrides (they may come from JSON or the command line); EvalInputError naming the variant. */
function checkOverrides(variant: string, step: string, o: StepOverrides): void {
  const bad = (why: string): never => {
    throw new EvalInputError(`variant ${variant}: ${step}.${why}`);
  };
  const known = new Set(['ladder', 'model', 'maxRetries', 'threshold', 'scorer', 'prompt', 'system', 'config']);
  for (const key of Object.keys(o)) if (!known.has(key)) bad(`${key} is not something a variant can change (${[...known].join(', ')})`);
  if (o.ladder !== undefined && (!Array.isArray(o.ladder) || o.ladder.length === 0 || !o.ladder.every((m) => typeof m === 'string' && m.trim() !== ''))) bad(`ladder must be a non-empty list of model names, got ${shown(o.ladder)}`);
  if (o.model !== undefined && (typeof o.model !== 'string' || o.model.trim() === '')) bad(`model must be a model name, got ${shown(o.model)}`);
  if (o.model !== undefined && o.ladder !== undefined) bad('model and ladder: give one (model is a one-model ladder)');
  if (o.maxRetries !== undefined && !(Number.isInteger(o.maxRetries) && o.maxRetries >= 0)) bad(`maxRetries must be a whole number ≥ 0, got ${shown(o.maxRetries)}`);
  if (o.threshold !== undefined && !(typeof o.threshold === 'number' && o.threshold >= 0 && o.threshold <= 1)) bad(`threshold must be within [0, 1], got ${shown(o.threshold)}`);
  if (o.system !== undefined && typeof o.system !== 'string') bad(`system must be text, got ${shown(o.system)}`);
}

/** What a variant changes, in one line. */
export function describeVariant(spec: VariantSpec): string {
  const parts = Object.entries(spec.steps ?? {}).flatMap(([step, o]) =>
    Object.entries(o).map(([key, value]) => {
      if (typeof value === 'function') return `${step}.${key}=(function)`;
      if (Array.isArray(value)) return `${step}.${key}=${value.join(',')}`;
      if (typeof value === 'string') return `${step}.${key}=${value.length > 40 ? `${value.slice(0, 39)}…` : value}`;
      return `${step}.${key}=${JSON.stringify(value)}`;
    }),
  );
  return parts.length > 0 ? parts.join('; ') : 'the workflow as written';
}

/**
 * The workflow with a variant's overrides made: the overridden model steps (found by `id`, in sub-agents too) rebuilt
 * from the spec they were made with. `{}` gives the workflow itself. EvalInputError for a step it does not have.
 *
 * @example
 * const bigOnly = applyVariant(workflow, 'big-only', { steps: { extract: { ladder: ['qwen2.5-coder:32b'] } } });
 */
export function applyVariant(workflow: Workflow, name: string, spec: VariantSpec): Workflow {
  if (!variantName.test(name)) throw new EvalInputError(`variant name ${shown(name)} must be 1-24 letters, digits or '-'`);
  const steps = spec.steps ?? {};
  for (const [step, overrides] of Object.entries(steps)) checkOverrides(name, step, overrides);
  if (Object.keys(steps).length === 0) return workflow;
  const found = new Set<string>();
  const machine = replaceSteps(workflow.machine, steps, found, new Map());
  const missing = Object.keys(steps).filter((step) => !found.has(step));
  if (missing.length > 0) {
    const known = found.size > 0 ? [...found].join(', ') : 'none';
    throw new EvalInputError(`variant ${name}: workflow ${workflow.id} has no model step ${missing.map((s) => `"${s}"`).join(', ')} (its model steps: ${known})`);
  }
  return Object.freeze({ ...workflow, machine });
}

const cliKeys: Record<string, (o: StepOverrides, value: string, cwd: string) => StepOverrides> = {
  ladder: (o, value) => ({ ...o, ladder: value.split(',').map((m) => m.trim()) }),
  model: (o, value) => ({ ...o, model: value.trim() }),
  maxRetries: (o, value) => ({ ...o, maxRetries: value.trim() === '' ? Number.NaN : Number(value) }),
  threshold: (o, value) => ({ ...o, threshold: value.trim() === '' ? Number.NaN : Number(value) }),
  temperature: (o, value) => ({ ...o, config: { ...o.config, temperature: Number(value) } }),
  maxTokens: (o, value) => ({ ...o, config: { ...o.config, maxTokens: Number(value) } }),
  system: (o, value, cwd) => ({ ...o, system: value.startsWith('@') ? readText(resolve(cwd, value.slice(1))) : value }),
};

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new EvalInputError(`--variant: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/**
 * `--variant name` or `--variant 'name:step.key=value;step.key=value'` (keys: ladder (comma-separated), model,
 * maxRetries, threshold, temperature, maxTokens, system (text, or @file)). A bare name is the eval file's variant of
 * that name, or (without one) the workflow as written.
 */
export function parseVariantFlag(text: string, cwd: string): { name: string; spec: VariantSpec | null } {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (!variantName.test(name)) throw new EvalInputError(`--variant ${shown(text)}: the name must be 1-24 letters, digits or '-', then :step.key=value;…`);
  if (colon < 0) return { name, spec: null };
  const steps: Record<string, StepOverrides> = {};
  for (const pair of text.slice(colon + 1).split(';')) {
    if (pair.trim() === '') continue;
    const match = /^\s*([A-Za-z0-9_.-]+?)\.([A-Za-z]+)\s*=(.*)$/s.exec(pair);
    if (!match) throw new EvalInputError(`--variant ${name}: ${shown(pair)} is not step.key=value`);
    const [, step = '', key = '', value = ''] = match;
    const set = Object.hasOwn(cliKeys, key) ? cliKeys[key] : undefined;
    if (!set) throw new EvalInputError(`--variant ${name}: ${step}.${key}: unknown key (one of: ${Object.keys(cliKeys).join(', ')})`);
    steps[step] = set(steps[step] ?? {}, value, cwd);
    const config = steps[step]?.config;
    for (const [field, n] of Object.entries(config ?? {})) {
      if (typeof n === 'number' && !Number.isFinite(n)) throw new EvalInputError(`--variant ${name}: ${step}.${field} must be a number, got ${shown(value)}`);
    }
  }
  if (Object.keys(steps).length === 0) throw new EvalInputError(`--variant ${name}: nothing after ':' (write step.key=value)`);
  return { name, spec: { steps } };
}

/**
 * The workflow of variant `name` from a module: an eval file (its workflow and its variant `name`, unless `spec` is
 * given) or a workflow module (`spec` applied). What the variant modules `harness eval` writes export, so a variant's
 * runs resume, fork and are driven by workers as the eval drove them.
 */
export function variantOf(source: Record<string, unknown>, name: string, spec?: VariantSpec): Workflow {
  const exported = source.default ?? source.workflow;
  if (isEvalDefinition(exported)) {
    const chosen = spec ?? exported.variants?.[name] ?? (name === defaultVariant ? {} : undefined);
    if (!chosen) throw new EvalInputError(`the eval has no variant ${shown(name)}`);
    return applyVariant(exported.workflow, name, chosen);
  }
  if (!isWorkflow(exported)) throw new EvalInputError('the module exports neither an eval (defineEval) nor a workflow (defineWorkflow)');
  return applyVariant(exported, name, spec ?? {});
}
