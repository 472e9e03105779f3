import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { createServer } from 'node:net';
import { startSimulator, type SimRequest, type Simulator } from '../../src/testing/index.ts';
import { compositeScorer } from '../../src/score/composite.ts';
import { scoreCalls } from '../../src/score/attach.ts';
import { judgeScorer } from '../../src/score/judge.ts';
import { rulesScorer } from '../../src/score/rules.ts';

const rubric = 'The answer names the capital of France correctly.';
const seen: SimRequest[] = [];
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({
    models: ['judge-good', 'judge-bad', 'judge-junk', 'judge-hang'],
    script: {
      'judge-good': (req) => {
        seen.push(req);
        return JSON.stringify({ score: 7, reasons: ['correct', 'a bit terse'] });
      },
      'judge-bad': () => JSON.stringify({ score: 15, reasons: 'great' }),
      'judge-junk': () => 'I think it is fine.',
      'judge-hang': () => ({ content: '', fault: 'hang' }),
    },
  });
});

afterAll(async () => {
  await sim.close();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('judgeScorer', () => {
  it('scores the verdict out of 10 and keeps the judge call', async () => {
    const judge = judgeScorer({ model: 'judge-good', rubric, host: sim.url, passThreshold: 0.6 });
    const score = await judge({ content: 'Paris.' });
    expect(score.value).toBeCloseTo(0.7);
    expect(score.reasons).toEqual(['correct', 'a bit terse']);
    expect(score.pass).toBe(true);
    expect(score.call?.success).toBe(true);
    expect(score.call?.model).toBe('judge-good');
    expect(score.call?.tokensOut).toBeGreaterThan(0);
    expect(score.call?.data).toEqual({ score: 7, reasons: ['correct', 'a bit terse'] });
  });

  it('fails the threshold when the verdict is below it', async () => {
    const judge = judgeScorer({ model: 'judge-good', rubric, host: sim.url, passThreshold: 0.8 });
    expect((await judge({ content: 'Paris.' })).pass).toBe(false);
  });

  it('sends the rubric, the task and the content, and asks for the verdict schema', async () => {
    seen.length = 0;
    const judge = judgeScorer({ model: 'judge-good', rubric, host: sim.url });
    await judge({ content: 'It is Lyon.', messages: [{ role: 'user', content: 'What is the capital of France?' }] });
    expect(seen).toHaveLength(1);
    const request = seen[0] as SimRequest;
    const system = request.messages.find((message) => message.role === 'system')?.content ?? '';
    expect(system).toContain(rubric);
    expect(system).toContain('It is Lyon.');
    expect(system).toContain('What is the capital of France?');
    expect(request.format).toMatchObject({ type: 'object', required: ['score', 'reasons'] });
    expect(request.options?.temperature).toBe(0);
  });

  it('scores 0 with a reason when the verdict breaks the schema, and never throws', async () => {
    const judge = judgeScorer({ model: 'judge-bad', rubric, host: sim.url, passThreshold: 0.5 });
    const score = await judge({ content: 'Paris.' });
    expect(score.value).toBe(0);
    expect(score.pass).toBe(false);
    expect(score.reasons[0]).toMatch(/^judge failed \(invalid-output\): /);
    expect(score.reasons.some((reason) => reason.startsWith('judge verdict score:'))).toBe(true);
    expect(score.reasons.some((reason) => reason.startsWith('judge verdict reasons:'))).toBe(true);
    expect(score.call?.success).toBe(false);
  });

  it('scores 0 when the verdict is not JSON', async () => {
    const score = await judgeScorer({ model: 'judge-junk', rubric, host: sim.url })({ content: 'Paris.' });
    expect(score.value).toBe(0);
    expect(score.reasons[0]).toMatch(/^judge failed \(invalid-output\)/);
    expect(score.reasons.join('\n')).toMatch(/not valid JSON/);
  });

  it('scores 0 naming the kind for an unknown judge model', async () => {
    const score = await judgeScorer({ model: 'no-such-judge', rubric, host: sim.url })({ content: 'Paris.' });
    expect(score.value).toBe(0);
    expect(score.reasons[0]).toMatch(/^judge failed \(model-not-found\): .*no-such-judge/);
  });

  it('scores 0 naming the kind when the judge cannot be reached', async () => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const score = await judgeScorer({ model: 'judge-good', rubric, host })({ content: 'Paris.' });
    expect(score.value).toBe(0);
    expect(score.reasons[0]).toMatch(/^judge failed \(connection\): /);
  });

  it('scores 0 on a judge timeout, well within the timeout plus a margin', async () => {
    const started = Date.now();
    const score = await judgeScorer({ model: 'judge-hang', rubric, host: sim.url, timeoutMs: 300 })({ content: 'x' });
    expect(Date.now() - started).toBeLessThan(300 + 2000);
    expect(score.value).toBe(0);
    expect(score.reasons[0]).toMatch(/^judge failed \(timeout\): /);
  });

  it('scores 0 when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = judgeScorer({ model: 'judge-hang', rubric, host: sim.url })({ content: 'x' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const score = await pending;
    expect(score.value).toBe(0);
    expect(score.reasons[0]).toMatch(/^judge failed \(aborted\): /);
  });

  it('rejects a bad spec when built', () => {
    expect(() => judgeScorer({ model: '', rubric })).toThrow(RangeError);
    expect(() => judgeScorer({ model: 'm', rubric: '  ' })).toThrow(RangeError);
    expect(() => judgeScorer({ model: 'm', rubric, passThreshold: 7 })).toThrow(RangeError);
  });

  it('combines with rules in a composite whose judge calls stay reachable', async () => {
    const scorer = compositeScorer(
      [
        { name: 'judge', scorer: judgeScorer({ model: 'judge-good', rubric, host: sim.url }), weight: 1 },
        { name: 'rules', scorer: rulesScorer({ contains: ['Paris'] }), weight: 1 },
      ],
      { threshold: 0.8 },
    );
    const score = await scorer({ content: 'Paris.' });
    expect(score.value).toBeCloseTo(0.85);
    expect(score.pass).toBe(true);
    expect(score.reasons).toEqual(['judge: correct', 'judge: a bit terse']);
    expect(scoreCalls(score).map((call) => call.model)).toEqual(['judge-good']);
  });
});
