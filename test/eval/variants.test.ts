// Variants: model steps rebuilt from their kept spec (ladder, model, prompt, system, threshold), found in sub-machines,
// named in the command line syntax, and rebuilt again from the module an eval writes for them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, createActor, setup, toPromise, type AnyStateMachine } from 'xstate';
import { afterAll, describe, expect, it } from 'vitest';
import { applyVariant, describeVariant, EvalInputError, parseVariantFlag } from '../../src/eval/index.ts';
import { variantModuleSource } from '../../src/eval/variant-module.ts';
import { definitionHash, loadWorkflow } from '../../src/runtime/index.ts';
import { defineWorkflow, modelStep } from '../../src/steps/index.ts';
import { stepSpecOf } from '../../src/steps/step-spec.ts';
import { z } from 'zod';
import sum from './fixtures/sum.workflow.ts';
import { useSimulators } from '../helpers/simulators.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-variants-'));
const newSimulator = useSimulators();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function isMachine(logic: unknown): logic is AnyStateMachine {
  return typeof logic === 'object' && logic !== null && 'root' in logic && 'implementations' in logic;
}

function stepOf(machine: AnyStateMachine, name: string): AnyStateMachine {
  const logic: unknown = machine.implementations.actors[name];
  if (!isMachine(logic)) throw new Error(`no machine ${name}`);
  return logic;
}

describe('applyVariant', () => {
  it('keeps the workflow as written for {}, and rebuilds an overridden step with its other fields kept', () => {
    expect(applyVariant(sum, 'same', {})).toBe(sum);
    const big = applyVariant(sum, 'big', { steps: { add: { ladder: ['qwen2.5-coder:32b'], maxRetries: 0, threshold: 0.9 } } });
    const spec = stepSpecOf(stepOf(big.machine, 'add'));
    expect(spec).toMatchObject({ id: 'add', ladder: ['qwen2.5-coder:32b'], maxRetries: 0, threshold: 0.9 });
    expect(spec?.schema).toBe(stepSpecOf(stepOf(sum.machine, 'add'))?.schema);
    // The ladder is a guard parameter: another ladder is another definition, so a variant's runs keep their own hash.
    expect(definitionHash(big.machine)).not.toBe(definitionHash(sum.machine));
    expect(big.id).toBe('sum');
  });

  it('gives a step another prompt or system message', async () => {
    const seen: string[][] = [];
    const sim = await newSimulator({ script: { '*': (req) => (seen.push(req.messages.map((m) => `${m.role}: ${m.content}`)), '{"sum": 3}') } });
    const step = modelStep({ id: 'add', prompt: (input: { a: number }) => [{ role: 'system', content: 'Add.' }, { role: 'user', content: String(input.a) }], schema: z.object({ sum: z.number() }), config: { host: sim.url } });
    const workflow = defineWorkflow({
      id: 'w',
      input: z.object({ a: z.number() }),
      machine: setup({ types: { input: {} as { a: number }, context: {} as { a: number; sum: number } }, actors: { step } }).createMachine({
        context: ({ input }) => ({ a: input.a, sum: 0 }),
        initial: 'go',
        states: { go: { invoke: { src: 'step', input: ({ context }) => ({ a: context.a }), onDone: { target: 'end', actions: assign({ sum: ({ event }) => event.output.data?.sum ?? 0 }) } } }, end: { type: 'final' } },
      }),
    });
    const prompted = applyVariant(workflow, 'p', { steps: { add: { prompt: (input: { a: number }) => [{ role: 'user', content: `a=${input.a}` }] } } });
    const systemed = applyVariant(workflow, 's', { steps: { add: { system: 'Add carefully.' } } });
    await toPromise(createActor(prompted.machine, { input: { a: 1 } }).start());
    await toPromise(createActor(systemed.machine, { input: { a: 2 } }).start());
    expect(seen).toEqual([['user: a=1'], ['system: Add carefully.', 'user: 2']]);
  });

  it('finds a step registered inside a sub-machine', () => {
    const outer = setup({ actors: { inner: sum.machine } }).createMachine({ initial: 'a', states: { a: { invoke: { src: 'inner', input: { a: 1, b: 2 } } } } });
    const workflow = defineWorkflow({ id: 'outer', input: z.object({}), machine: outer });
    const varied = applyVariant(workflow, 'v', { steps: { add: { model: 'm' } } });
    expect(stepSpecOf(stepOf(stepOf(varied.machine, 'inner'), 'add'))?.ladder).toEqual(['m']);
  });

  it('refuses what a variant cannot say', () => {
    expect(() => applyVariant(sum, 'a_b', {})).toThrow(`variant name "a_b" must be 1-24 letters, digits or '-'`);
    expect(() => applyVariant(sum, 'v', { steps: { nope: { model: 'm' } } })).toThrow('variant v: workflow sum has no model step "nope" (its model steps: add)');
    expect(() => applyVariant(sum, 'v', { steps: { add: { ladder: [] } } })).toThrow('variant v: add.ladder must be a non-empty list of model names, got []');
    expect(() => applyVariant(sum, 'v', { steps: { add: { threshold: 2 } } })).toThrow('variant v: add.threshold must be within [0, 1], got 2');
    expect(() => applyVariant(sum, 'v', { steps: { add: { model: 'm', ladder: ['n'] } } })).toThrow(/give one/);
  });
});

describe('--variant', () => {
  it('reads a name, or a name with step.key=value pairs', () => {
    expect(parseVariantFlag('base', dir)).toEqual({ name: 'base', spec: null });
    const file = join(dir, 'system.txt');
    writeFileSync(file, 'Be exact.');
    const parsed = parseVariantFlag('big:add.ladder=qwen2.5-coder:14b,qwen2.5-coder:32b;add.threshold=0.8;add.temperature=0.2;add.system=@system.txt', dir);
    expect(parsed).toEqual({ name: 'big', spec: { steps: { add: { ladder: ['qwen2.5-coder:14b', 'qwen2.5-coder:32b'], threshold: 0.8, config: { temperature: 0.2 }, system: 'Be exact.' } } } });
    expect(describeVariant(parsed.spec ?? {})).toBe('add.ladder=qwen2.5-coder:14b,qwen2.5-coder:32b; add.threshold=0.8; add.config={"temperature":0.2}; add.system=Be exact.');
  });

  it('refuses a malformed one with its reason', () => {
    expect(() => parseVariantFlag('big:add.speed=3', dir)).toThrow('--variant big: add.speed: unknown key (one of: ladder, model, maxRetries, threshold, temperature, maxTokens, system)');
    expect(() => parseVariantFlag('big:ladder', dir)).toThrow('--variant big: "ladder" is not step.key=value');
    expect(() => parseVariantFlag('big:add.temperature=hot', dir)).toThrow('--variant big: add.temperature must be a number, got "hot"');
    expect(() => parseVariantFlag('big:', dir)).toThrow(EvalInputError);
    expect(() => parseVariantFlag('b g', dir)).toThrow(/the name must be/);
  });
});

it('the module an eval writes for a variant rebuilds the same variant', async () => {
  const file = join(dir, 'big.mts');
  writeFileSync(file, variantModuleSource(join(import.meta.dirname, 'fixtures/sum.workflow.ts'), 'big', { steps: { add: { model: 'qwen2.5-coder:32b' } } }));
  const { workflow } = await loadWorkflow(file);
  expect(definitionHash(workflow.machine)).toBe(definitionHash(applyVariant(sum, 'big', { steps: { add: { model: 'qwen2.5-coder:32b' } } }).machine));
  const evalFile = join(dir, 'ladder.mts');
  writeFileSync(evalFile, variantModuleSource(join(import.meta.dirname, 'fixtures/sum.eval.ts'), 'big-only', null));
  expect(stepSpecOf(stepOf((await loadWorkflow(evalFile)).workflow.machine, 'add'))?.ladder).toEqual(['qwen2.5-coder:32b']);
});
