// Loads what `harness eval` is given: an eval file (defineEval) or a workflow module (defineWorkflow).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { importModule } from '../runtime/import-module.ts';
import { WorkflowLoadError } from '../runtime/errors.ts';
import { isWorkflow, type Workflow } from '../steps/workflow.ts';
import { isEvalDefinition, type EvalDefinition } from './spec.ts';

export type EvalSource =
  | { kind: 'eval'; file: string; definition: EvalDefinition; workflow: Workflow }
  | { kind: 'workflow'; file: string; workflow: Workflow };

/** The module's default export: an eval or a workflow; WorkflowLoadError (exit 2) for anything else. */
export async function loadEvalSource(path: string, cwd: string): Promise<EvalSource> {
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new WorkflowLoadError(`eval or workflow file not found: ${path}`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (error) {
    throw new WorkflowLoadError(`cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const exported = mod.default ?? mod.workflow;
  if (isEvalDefinition(exported)) return { kind: 'eval', file, definition: exported, workflow: exported.workflow };
  if (isWorkflow(exported)) return { kind: 'workflow', file, workflow: exported };
  throw new WorkflowLoadError(`${path} must default-export an eval (defineEval) or a workflow (defineWorkflow)`);
}
