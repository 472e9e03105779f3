// Loads a workflow module from a file path given on the command line or stored in a run file.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isWorkflow, type Workflow } from '../steps/workflow.ts';
import { WorkflowLoadError } from './errors.ts';
import { importModule } from './import-module.ts';


export interface LoadedWorkflow {
  workflow: Workflow;
  /** Absolute path of the module, stored in run files so `resume` can find it again. */
  modulePath: string;
}

export async function loadWorkflow(file: string, cwd = process.cwd()): Promise<LoadedWorkflow> {
  const modulePath = resolve(cwd, file);
  if (!existsSync(modulePath)) throw new WorkflowLoadError(`workflow file not found: ${file}`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(modulePath);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WorkflowLoadError(`cannot load workflow ${file}: ${reason}`);
  }
  const candidate = mod.default ?? mod.workflow;
  if (!isWorkflow(candidate)) {
    throw new WorkflowLoadError(`${file} must export a workflow made with defineWorkflow() as its default export`);
  }
  return { workflow: candidate, modulePath };
}
