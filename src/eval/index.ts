// Public API of evaluations (`xstate-llm-harness/eval`): defineEval, assertions, variants, running an eval, reports.
export { defineEval, isEvalDefinition, type EvalDefinition } from './spec.ts';
export { assert, assertionFromJson, deepEqual, type AssertionResult } from './assertions.ts';
export type { Assertion, AssertionContext, AssertionSpec, EvalCase, EvalSpec, ExpectedStatus, StepOverrides, VariantSpec, Verdict } from './types.ts';
export { readDataset, type Dataset } from './dataset.ts';
export { applyVariant, describeVariant, parseVariantFlag, variantOf, type Variant } from './variants.ts';
export { loadEvalSource, type EvalSource } from './load.ts';
export { planEval, type EvalPlan, type PlanOptions, type PlannedVariant, type VariantChoice } from './plan.ts';
export { runEval, runIdOf, type EvalProgress, type EvalRun, type RunEvalOptions } from './runner.ts';
export { buildReport, type CellReport, type EvalReport, type StepReport, type VariantReport } from './report.ts';
export { compareWithBaseline, readBaseline, type BaselineComparison, type CaseChange, type VariantComparison } from './baseline.ts';
export { junitXml } from './junit.ts';
export { cacheKey, cacheSize, clearCache, countingCache, FileCallCache, type CacheSize, type CacheStats } from './cache.ts';
export { CoverageCollector, coverageOf, transitionKey, type CaseCoverage, type MachineCoverage } from './coverage.ts';
export { listEvals, readManifest, readResults, type EvalManifest } from './eval-dir.ts';
export type { CaseResult, Outcome, StepBehaviour } from './results.ts';
export { histogram, nearestRank, wilsonInterval } from './stats.ts';
export { EvalInputError } from './errors.ts';
