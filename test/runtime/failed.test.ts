// A machine that throws: the run ends `failed` with the error kept, instead of taking the process down.
import { setup } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { RunFinishedError } from '../../src/runtime/errors.ts';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow } from '../../src/steps/index.ts';
import { modulePath, removeTempDirs, tempStore } from '../steps/fixtures.ts';

afterAll(removeTempDirs);

function brokenWorkflow() {
  const machine = setup({
    types: { context: {} as { flags: string[] } },
    actions: {
      explode: () => {
        throw new Error('the action exploded');
      },
    },
  }).createMachine({
    id: 'broken',
    context: { flags: [] },
    initial: 'start',
    states: { start: { entry: 'explode' } },
  });
  return defineWorkflow({ id: 'broken', input: z.object({}), machine });
}

describe('a failing machine', () => {
  it('ends the run failed with the error message, and refuses to resume it', async () => {
    const store = tempStore();
    const workflow = brokenWorkflow();
    const record = await runWorkflow({ store, workflow, modulePath, input: {} });
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/the action exploded/);
    const onDisk = await store.read(record.runId);
    expect(onDisk.status).toBe('failed');
    expect(onDisk.error).toBe(record.error);
    await expect(resumeWorkflow({ store, runId: record.runId, workflow })).rejects.toBeInstanceOf(RunFinishedError);
  });
});
