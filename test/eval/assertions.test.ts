// Assertions: the comparisons a dataset declares, the eval file's builders (expected fields, scorers, custom checks).
import { describe, expect, it } from 'vitest';
import { checkAll } from '../../src/eval/assertions.ts';
import { assert, assertionFromJson, EvalInputError, type Assertion, type AssertionContext } from '../../src/eval/index.ts';
import { judgeScorer, rulesScorer } from '../../src/score/index.ts';
import type { RunRecord } from '../../src/store/index.ts';
import { useSimulators } from '../helpers/simulators.ts';

const output = { invoice: { number: 'A-1', total: 10.004, lines: [{ amount: 4 }, { amount: 6 }], note: 'paid in full' }, flags: [] as string[] };
const expected = { invoice: { number: 'A-1', total: 10, lines: [{ amount: 4 }, { amount: 6 }] } };

function context(over: Partial<AssertionContext> = {}): AssertionContext {
  // The run is only read by custom checks here: a record with the output is enough.
  const run = { runId: 'r', output } as unknown as RunRecord;
  return { output, expected, input: { text: 'x' }, run, signal: new AbortController().signal, ...over };
}

const check = async (a: Assertion, over?: Partial<AssertionContext>) => a.check(context(over));

describe('comparisons', () => {
  it('equals: with its own value, or the expected value at the same path; skipped when the case expects nothing there', async () => {
    expect(await check(assert.equals('invoice.number'))).toEqual({ pass: true, score: 1 });
    expect(await check(assert.equals('invoice.number', 'B-2'))).toEqual({ pass: false, score: 0, reason: '"A-1" ≠ "B-2"' });
    expect(await check(assert.equals('invoice.lines'))).toMatchObject({ pass: true });
    expect(await check(assert.equals('invoice.lines.length'))).toMatchObject({ pass: true });
    expect(await check(assert.equals('$.invoice.lines[1].amount', 6))).toMatchObject({ pass: true });
    expect(await check(assert.equals('invoice.note'))).toEqual({ pass: null, score: 0, reason: 'the case expects nothing at invoice.note' });
    expect(await check(assert.equals('invoice.missing', 1))).toEqual({ pass: false, score: 0, reason: 'invoice.missing is missing' });
  });

  it('contains, matches and near', async () => {
    expect(await check(assert.contains('invoice.note', 'full'))).toMatchObject({ pass: true });
    expect(await check(assert.contains('invoice.lines', { amount: 6 }))).toMatchObject({ pass: true });
    expect(await check(assert.contains('invoice.note', 'partly'))).toMatchObject({ pass: false, reason: '"paid in full" does not contain it' });
    expect(await check(assert.matches('invoice.number', /^a-\d$/i))).toMatchObject({ pass: true });
    expect(await check(assert.matches('invoice.total', '^1'))).toMatchObject({ pass: false, reason: '10.004 is not a string' });
    expect(await check(assert.near('invoice.total', { tolerance: 0.01 }))).toMatchObject({ pass: true });
    expect(await check(assert.near('invoice.total', { value: 11, tolerance: 0.5 }))).toMatchObject({ pass: false, reason: '10.004 is 0.996 from 11' });
  });

  it('expected: every leaf of the expected output, numbers within the tolerance; its score is the share that match', async () => {
    expect(await check(assert.expected())).toMatchObject({ pass: false, reason: 'invoice.total: 10.004 ≠ 10' });
    expect(await check(assert.expected({ tolerance: 0.01 }))).toEqual({ pass: true, score: 1 });
    const half = await check(assert.expected(), { expected: { invoice: { number: 'A-2', total: 10.004 } } });
    expect(half).toMatchObject({ pass: false, score: 0.5 });
    expect(await check(assert.expected(), { expected: undefined })).toMatchObject({ pass: null });
  });

  it('a dataset declares the same comparisons as JSON, and a bad one is refused with its place', () => {
    expect(assertionFromJson({ type: 'near', path: 'invoice.total', tolerance: 0.1 }, 'x').name).toBe('near invoice.total ±0.1');
    expect(() => assertionFromJson({ type: 'matches', path: 'a', pattern: '(' }, 'cases.jsonl:4')).toThrow(/^cases\.jsonl:4: matches a: invalid pattern/);
    expect(() => assertionFromJson({ type: 'equals', path: 'a..b' }, 'here')).toThrow(EvalInputError);
    expect(() => assertionFromJson({ type: 'near', path: 'a' }, 'here')).toThrow('here: a near assertion needs a numeric "tolerance"');
    expect(() => assertionFromJson('equals', 'here')).toThrow(/^here: an assertion must be an object/);
  });
});

describe('scorers and custom checks', () => {
  const newSimulator = useSimulators();

  it('a harness scorer grades the output at a path', async () => {
    const rules = rulesScorer({ contains: ['paid'], notContains: ['overdue'] });
    expect(await check(assert.score(rules, { path: 'invoice.note', min: 1, name: 'rules' }))).toEqual({ pass: true, score: 1 });
    const failing = await check(assert.score(rulesScorer({ contains: ['overdue'] }), { path: 'invoice.note', name: 'rules' }));
    expect(failing).toEqual({ pass: false, score: 0, reason: 'missing "overdue"' });
  });

  it('a judge grades the output through its model call, the case input shown as the task', async () => {
    let asked = '';
    const sim = await newSimulator({
      script: {
        'qwen2.5-coder:14b': (req) => {
          asked = req.messages[0]?.content ?? '';
          return JSON.stringify({ score: 8, reasons: ['names the total'] });
        },
      },
    });
    const judge = judgeScorer({ model: 'qwen2.5-coder:14b', rubric: 'States the total.', host: sim.url });
    expect(await check(assert.score(judge, { min: 0.7 }))).toEqual({ pass: true, score: 0.8 });
    expect(asked).toContain('<task>\n{"text":"x"}\n</task>');
    expect(asked).toContain('"total":10.004');
  });

  it('a custom check returns a boolean or a verdict; a throw fails it with the message', async () => {
    const typed = assert.custom<typeof output>('two lines', ({ output: o }) => o.invoice.lines.length === 2);
    expect(await check(typed)).toEqual({ pass: true, score: 1 });
    expect(await check(assert.custom('half', () => ({ pass: false, score: 0.5, reason: 'half right' })))).toEqual({ pass: false, score: 0.5, reason: 'half right' });
    const [thrown] = await checkAll([assert.custom('boom', () => {
      throw new Error('no lines');
    })], context());
    expect(thrown).toEqual({ name: 'custom boom', pass: false, score: 0, reason: 'threw: no lines' });
  });

  it('an assertion changed in any way has another fingerprint', () => {
    expect(assert.equals('a').fingerprint).toBe(assert.equals('a').fingerprint);
    expect(assert.equals('a').fingerprint).not.toBe(assert.equals('b').fingerprint);
    expect(assert.custom('c', () => true).fingerprint).not.toBe(assert.custom('c', () => false).fingerprint);
  });
});
