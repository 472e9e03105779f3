// Runs typed by their workflow, end to end through the public API: input checked by the compiler, output and events
// inferred from the machine, a module path found without being given, and a payload refused by the schema its wait
// declared, with the run left exactly as it was.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  defineWorkflow,
  FileStore,
  getRun,
  hasCode,
  resumeWorkflow,
  runWorkflow,
  sendToRun,
  type EventOf,
  type InputOf,
  type OutputOf,
  type RunOf,
  type RunRecord,
} from '../../src/index.ts';
import { filesUnder } from '../helpers/files.ts';
import { removeTempDirs, tempDir } from '../steps/fixtures.ts';
import signOff, { signOffMachine, type SignOffOutput } from './fixtures/sign-off-workflow.ts';

afterAll(removeTempDirs);

const fixtureFile = fileURLToPath(new URL('./fixtures/sign-off-workflow.ts', import.meta.url));

describe('the types of a run', () => {
  it('come from the workflow: input before its defaults, output and events from the machine', () => {
    expectTypeOf<InputOf<typeof signOff>>().toEqualTypeOf<{ text: string; copies?: number | undefined }>();
    expectTypeOf<OutputOf<typeof signOff>>().toEqualTypeOf<SignOffOutput>();
    expectTypeOf<EventOf<typeof signOff>>().toEqualTypeOf<{ type: 'APPROVE'; by: string; note?: string | undefined } | { type: 'REJECT'; reason: string }>();
    // A workflow known only as a workflow types nothing, and lets nothing through as `any`.
    expectTypeOf<RunOf['output']>().toEqualTypeOf<unknown>();
  });

  it("refuse a workflow whose input schema does not give the machine its input", () => {
    // @ts-expect-error the machine takes { text, copies }: a schema without copies would start it without one
    const short = () => defineWorkflow({ id: 'short', input: z.object({ text: z.string() }), machine: signOffMachine });
    expectTypeOf(short).returns.toHaveProperty('id');
  });

  it('refuse a wrong input or event at compile time', () => {
    const store = new FileStore({ dir: tempDir() });
    const never = () => {
      // @ts-expect-error text is a string
      void runWorkflow({ store, workflow: signOff, input: { text: 1 } });
      // @ts-expect-error the input has no field `title`
      void runWorkflow({ store, workflow: signOff, input: { text: 'a', title: 'b' } });
      // @ts-expect-error APPROVE's `by` is a string
      void sendToRun({ store, runId: 'r', workflow: signOff, event: { type: 'APPROVE', by: 1 } });
      // @ts-expect-error REJECT needs its reason
      void sendToRun({ store, runId: 'r', workflow: signOff, event: { type: 'REJECT' } });
      // @ts-expect-error MAYBE is not an event of the machine
      void sendToRun({ store, runId: 'r', workflow: signOff, event: { type: 'MAYBE' } });
    };
    expectTypeOf(never).returns.toEqualTypeOf<void>();
  });
});

describe('a run started from code', () => {
  it('is typed by its workflow, finds its module, and takes a declared event parsed by its schema', async () => {
    const store = new FileStore({ dir: tempDir() });
    const waiting = await runWorkflow({ store, workflow: signOff, input: { text: 'ok' } });
    expectTypeOf(waiting).toEqualTypeOf<RunOf<typeof signOff>>();
    expect(waiting.status).toBe('waiting');
    expect(waiting.output).toBeUndefined();
    // No modulePath given: the module that called defineWorkflow is stored, so a resume can load it by itself.
    expect(waiting.workflow.module).toBe(fixtureFile);
    const resumed = await resumeWorkflow({ store, runId: waiting.runId });
    expect(resumed.status).toBe('waiting');
    expectTypeOf(resumed.output).toEqualTypeOf<unknown>();

    const done = await sendToRun({ store, runId: waiting.runId, workflow: signOff, event: { type: 'APPROVE', by: 'ann' } });
    expect(done.status).toBe('done');
    if (done.status !== 'done') return;
    expectTypeOf(done.output).toEqualTypeOf<SignOffOutput>();
    expect(done.output).toEqual({ text: 'ok', decision: 'approved', by: 'ann', note: '' });

    const read = await getRun(store, waiting.runId, signOff);
    expectTypeOf(read).toEqualTypeOf<RunOf<typeof signOff>>();
    expect(read.status === 'done' && read.output.by).toBe('ann');
    const untyped: RunRecord = await getRun(store, waiting.runId);
    expect(untyped.output).toEqual(done.output);
  });

  it('refuses a payload that fails the declared schema and leaves every file of the run as it was', async () => {
    const dir = tempDir();
    const store = new FileStore({ dir });
    const waiting = await runWorkflow({ store, workflow: signOff, input: { text: 'ok', copies: 2 } });
    const before = filesUnder(dir);
    // Sent as the CLI and the inspector send it: an event built at run time, checked by the run, not the compiler.
    const event: EventOf<typeof signOff> = JSON.parse('{"type":"APPROVE","by":""}');
    const refused = sendToRun({ store, runId: waiting.runId, workflow: signOff, event });
    await expect(refused).rejects.toSatisfy((error) => hasCode(error, 'EVENT_REJECTED'));
    await expect(refused).rejects.toThrow(/refuses APPROVE: its payload does not match what state review declared \(by: /);
    expect(filesUnder(dir)).toEqual(before);

    // Unknown fields are dropped by the schema, as zod objects do: the machine gets what it declared.
    const extra: EventOf<typeof signOff> = JSON.parse('{"type":"REJECT","reason":"too short","admin":true}');
    const done = await sendToRun({ store, runId: waiting.runId, workflow: signOff, event: extra });
    expect(done.output).toEqual({ text: 'okok', decision: 'rejected', by: null, note: 'too short' });
    expect(JSON.stringify(done.snapshot)).not.toContain('admin');
  });

  it('refuses to be read or resumed as a run of another workflow', async () => {
    const store = new FileStore({ dir: tempDir() });
    const waiting = await runWorkflow({ store, workflow: signOff, input: { text: 'ok' } });
    const other = defineWorkflow({ id: 'other', input: z.object({ text: z.string(), copies: z.number() }), machine: signOffMachine });
    await expect(getRun(store, waiting.runId, other)).rejects.toThrow(`run ${waiting.runId} is a run of workflow typed-sign-off, not other`);
    await expect(resumeWorkflow({ store, runId: waiting.runId, workflow: other })).rejects.toSatisfy((error) => hasCode(error, 'WORKFLOW_LOAD'));
    expect((await getRun(store, waiting.runId)).status).toBe('waiting');
  });

  it('made outside any file, stores no module and says how to resume it', async () => {
    const store = new FileStore({ dir: tempDir() });
    const spec = { id: 'no-file', input: z.object({ text: z.string(), copies: z.number().default(1) }), machine: signOffMachine };
    // A workflow defined in evaluated code has no file to load it from again.
    const define = new Function('define', 'spec', 'return define(spec)');
    const workflow: typeof signOff = define(defineWorkflow, spec);
    const waiting = await runWorkflow({ store, workflow, input: { text: 'ok' } });
    expect(waiting.workflow.module).toBe('');
    await expect(resumeWorkflow({ store, runId: waiting.runId })).rejects.toThrow(/started from code with no module path: resume it from code with its workflow/);
    expect((await resumeWorkflow({ store, runId: waiting.runId, workflow })).status).toBe('waiting');
  });
});
