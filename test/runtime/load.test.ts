// Loading workflow modules: a load that failed is never kept by the process, so a fixed file loads on the next try.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkflow, WorkflowLoadError } from '../../src/runtime/index.ts';
import { writeWorkflowModule } from '../helpers/workflow-module.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadWorkflow', () => {
  it.each([
    ['a syntax error', 'export default {;'],
    ['a throw while the module is evaluated', 'throw new Error("not configured yet");'],
    ['no workflow exported', 'export const x = 1;'],
  ])('after %s, the fixed file loads in the same process', async (what, broken) => {
    const file = join(dir, `${what.replace(/\W+/g, '-')}.workflow.ts`);
    writeFileSync(file, broken);
    await expect(loadWorkflow(file)).rejects.toBeInstanceOf(WorkflowLoadError);
    await expect(loadWorkflow(file)).rejects.toBeInstanceOf(WorkflowLoadError); // still broken: still refused
    writeWorkflowModule(file, 'fixed');
    const { workflow } = await loadWorkflow(file);
    expect(workflow.id).toBe('fixed');
    expect((await loadWorkflow(file)).workflow).toBe(workflow); // a module that loaded is kept: one copy per process
  });
});
