// Loads a workflow: from a file path (built into a version: the code as it is now) or from a version in a run store.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isWorkflow, type Workflow } from '../steps/workflow.ts';
import type { RunRecord, RunStore } from '../store/index.ts';
import { buildVersion, importVersion, VersionError, type BuiltVersion } from '../versions/index.ts';
import { definitionHash, storedDefinition } from './definition.ts';
import { WorkflowLoadError } from './errors.ts';
import { assertEsm, registerTsx } from './import-module.ts';
import { isTypeScriptModule } from '../util/typescript.ts';

export interface LoadedWorkflow {
  workflow: Workflow;
  /** Absolute path of the module, stored in run files so `resume` can find it again. */
  modulePath: string;
  /** The module's code as a version (bundled, hashed): what a run started from it is stored with. */
  version: BuiltVersion;
}

/** True when this process runs the harness from its TypeScript sources: a version's imports of it are .ts files. */
const harnessFromSource = import.meta.url.endsWith('.ts');

/** The workflow a version's module exports: WorkflowLoadError naming `what` when there is none. */
async function workflowIn(version: BuiltVersion, what: string): Promise<Workflow> {
  if (harnessFromSource) await registerTsx();
  const mod = await importVersion(version.hash, version.code);
  const candidate = mod.default ?? mod.workflow;
  if (!isWorkflow(candidate)) throw new WorkflowLoadError(`${what} must export a workflow made with defineWorkflow() as its default export`);
  return candidate;
}

/**
 * Loads the module at `file` as it is now: built into a version (its local imports bundled) and imported by that
 * version's hash, never by path, so an edited file is new code in a long-lived process while unchanged code is loaded
 * once. A load that failed is retried on the next call (nothing of a failure is kept).
 */
export async function loadWorkflow(file: string, cwd = process.cwd()): Promise<LoadedWorkflow> {
  const modulePath = resolve(cwd, file);
  if (!existsSync(modulePath)) throw new WorkflowLoadError(`workflow file not found: ${file}`);
  try {
    if (isTypeScriptModule(modulePath)) assertEsm(modulePath);
    const version = await buildVersion(modulePath);
    return { workflow: await workflowIn(version, file), modulePath, version };
  } catch (error) {
    if (error instanceof WorkflowLoadError) throw error;
    const reason = error instanceof VersionError ? error.reason : error instanceof Error ? error.message : String(error);
    throw new WorkflowLoadError(`cannot load workflow ${file}: ${reason}`);
  }
}

/** Stores the loaded workflow's version (once per hash) with its machine's definition; returns the version hash. */
export async function storeVersion(store: RunStore, loaded: Pick<LoadedWorkflow, 'workflow' | 'version'>): Promise<string> {
  const { workflow, version } = loaded;
  await store.putVersion({
    hash: version.hash,
    workflowId: workflow.id,
    code: version.code,
    definitionHash: definitionHash(workflow.machine),
    definition: storedDefinition(workflow.machine),
    createdAt: new Date().toISOString(),
  });
  return version.hash;
}

/**
 * The workflow of a stored version, loaded from the store alone (no source file needed, one copy per hash), and the
 * definition (and its hash) it was stored with.
 */
export async function loadVersion(store: RunStore, hash: string): Promise<{ workflow: Workflow; definitionHash: string; definition: unknown }> {
  const stored = await store.getVersion(hash);
  try {
    const workflow = await workflowIn({ hash, code: stored.code }, `version ${hash.slice(0, 12)} of workflow ${stored.workflowId}`);
    return { workflow, definitionHash: stored.definitionHash, definition: stored.definition };
  } catch (error) {
    if (error instanceof WorkflowLoadError) throw error;
    throw new WorkflowLoadError(error instanceof Error ? error.message : String(error));
  }
}

/** The module a run was started from, where it is now: its stored path, else relative to `cwd` (a moved checkout). */
export function sourceOf(record: Pick<RunRecord, 'workflow'>, cwd = process.cwd()): string | null {
  if (record.workflow.module === '') return null; // started from code: there is no file
  if (existsSync(record.workflow.module)) return record.workflow.module;
  const moved = join(cwd, record.workflow.moduleRelative);
  return existsSync(moved) ? moved : null;
}
