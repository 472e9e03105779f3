// Everything an eval will run, decided and checked before anything is written: dataset, inputs, variants, its directory.
import { dirname, join, resolve } from 'node:path';
import { machineDefinition } from '../definition/index.ts';
import { definitionHash } from '../runtime/definition.ts';
import { InputError } from '../runtime/errors.ts';
import { parseInput } from '../runtime/runs.ts';
import { newRunId } from '../store/index.ts';
import { shown } from './assertions.ts';
import { readDataset } from './dataset.ts';
import { evalIdPattern, paths, readManifest, resumeConflict, type EvalManifest } from './eval-dir.ts';
import { EvalInputError } from './errors.ts';
import type { EvalSource } from './load.ts';
import type { Assertion, EvalCase, VariantSpec } from './types.ts';
import { variantModuleExtension, variantModuleSource } from './variant-module.ts';
import { applyVariant, defaultVariant, describeVariant, type Variant } from './variants.ts';

/** A variant asked for on the command line: a name (an eval file's variant, or the workflow as written) or a spec. */
export interface VariantChoice {
  name: string;
  spec: VariantSpec | null;
}

export interface PlanOptions {
  source: EvalSource;
  /** The dataset (relative to `cwd`); default: the eval file's `dataset` (relative to the eval file). */
  dataset?: string;
  cwd: string;
  /** Variants to run instead of the eval file's own. */
  variants?: readonly VariantChoice[];
  /** Checked on every case expected `done`, besides the eval file's assertions. */
  assert?: readonly Assertion[];
  /** Where evals live (`evals/`); the eval gets `<evalsDir>/<evalId>/`. */
  evalsDir: string;
  /** Names the eval; an eval of this id already there is resumed. Default `<workflow>-<time>-<hex>`. */
  evalId?: string;
}

export interface PlannedVariant extends Variant {
  /** The module its runs record (`variants/<name>.ts`), and its text. */
  module: string;
  moduleText: string;
}

export interface EvalPlan {
  evalId: string;
  dir: string;
  manifest: EvalManifest;
  cases: EvalCase[];
  assertions: Assertion[];
  variants: PlannedVariant[];
  /** The directory already holds this eval: finished cases are not run again. */
  resuming: boolean;
}

/** The variants to run, each with the spec its module will embed (null: the eval file's own variant of that name). */
function chooseVariants(source: EvalSource, choices: readonly VariantChoice[] | undefined): { name: string; spec: VariantSpec; embedded: VariantSpec | null }[] {
  const declared = source.kind === 'eval' ? source.definition.variants : undefined;
  if (!choices || choices.length === 0) {
    if (declared) return Object.entries(declared).map(([name, spec]) => ({ name, spec, embedded: null }));
    return [{ name: defaultVariant, spec: {}, embedded: source.kind === 'eval' ? null : {} }];
  }
  const seen = new Set<string>();
  return choices.map(({ name, spec }) => {
    if (seen.has(name)) throw new EvalInputError(`variant ${name} is given twice`);
    seen.add(name);
    if (spec) return { name, spec, embedded: spec };
    if (declared) {
      const own = Object.hasOwn(declared, name) ? declared[name] : undefined;
      if (!own) throw new EvalInputError(`unknown variant ${shown(name)} (the eval file declares: ${Object.keys(declared).join(', ')})`);
      return { name, spec: own, embedded: null };
    }
    return { name, spec: {}, embedded: {} };
  });
}

/** Checks every case's input against the workflow's schema (as `harness run` would), naming the case's line. */
function checkedCases(cases: readonly EvalCase[], source: EvalSource): EvalCase[] {
  return cases.map((c) => {
    try {
      return { ...c, input: parseInput(source.workflow, c.input) };
    } catch (error) {
      if (error instanceof InputError) throw new EvalInputError(`${c.source}: ${error.message}`);
      throw error;
    }
  });
}

/** Plans an eval; EvalInputError for anything wrong with what it was given. Nothing is written. */
export function planEval(options: PlanOptions): EvalPlan {
  const { source, cwd } = options;
  const datasetFile = options.dataset !== undefined
    ? resolve(cwd, options.dataset)
    : source.kind === 'eval' && source.definition.dataset !== undefined
      ? resolve(dirname(source.file), source.definition.dataset)
      : null;
  if (datasetFile === null) throw new EvalInputError('no dataset: give --dataset <file> (.jsonl, .json or .csv), or `dataset` in the eval file');
  const dataset = readDataset(datasetFile);
  const cases = checkedCases(dataset.cases, source);
  const evalId = options.evalId ?? newRunId(source.workflow.id);
  if (!evalIdPattern.test(evalId)) throw new EvalInputError(`eval id ${shown(evalId)} must be 1-64 letters, digits, '_' or '-'`);
  const dir = join(resolve(cwd, options.evalsDir), evalId);
  const extension = variantModuleExtension(source.file);
  const variants = chooseVariants(source, options.variants).map(({ name, spec, embedded }): PlannedVariant => ({
    name,
    spec,
    description: describeVariant(spec),
    workflow: applyVariant(source.workflow, name, spec),
    module: join(paths(dir).variants, `${name}${extension}`),
    moduleText: variantModuleSource(source.file, name, embedded),
  }));
  const fresh: EvalManifest = {
    format: 1,
    evalId,
    createdAt: new Date().toISOString(),
    source: { kind: source.kind, file: source.file },
    workflowId: source.workflow.id,
    dataset: { file: dataset.file, hash: dataset.hash, cases: cases.map((c) => c.id) },
    variants: variants.map((v) => ({ name: v.name, description: v.description, module: v.module, hash: definitionHash(v.workflow.machine), definition: machineDefinition(v.workflow.machine) })),
  };
  const before = readManifest(dir);
  if (before) {
    const conflict = resumeConflict(before, fresh);
    if (conflict) throw new EvalInputError(`eval ${evalId} cannot be resumed: ${conflict}; start a new eval (another --id)`);
  }
  const assertions = [...(source.kind === 'eval' ? (source.definition.assert ?? []) : []), ...(options.assert ?? [])];
  return { evalId, dir, manifest: before ?? fresh, cases, assertions, variants, resuming: before !== null };
}
