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

/**
 * Which import of each module path this process uses: bumped when a load fails, so a long-lived worker never keeps a
 * failure (Node would throw the cached error again, even after the file is fixed) and retries the file as it is now.
 * A module that loaded stays as loaded: one copy of its machines per process.
 */
const attempts = new Map<string, number>();

export async function loadWorkflow(file: string, cwd = process.cwd()): Promise<LoadedWorkflow> {
  const modulePath = resolve(cwd, file);
  if (!existsSync(modulePath)) throw new WorkflowLoadError(`workflow file not found: ${file}`);
  const attempt = attempts.get(modulePath) ?? 0;
  const failed = (message: string) => {
    attempts.set(modulePath, attempt + 1);
    return new WorkflowLoadError(message);
  };
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(modulePath, attempt);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw failed(`cannot load workflow ${file}: ${reason}`);
  }
  const candidate = mod.default ?? mod.workflow;
  if (!isWorkflow(candidate)) throw failed(`${file} must export a workflow made with defineWorkflow() as its default export`);
  return { workflow: candidate, modulePath };
}
