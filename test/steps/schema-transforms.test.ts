// A schema that transforms (or pipes, or coerces) is applied once to a reply: to the fresh reply, to the step's data,
// and to a journaled reply replayed on resume, which is read again from its text, never from the data it produced.
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { revalidated } from '../../src/steps/call-through.ts';
import { modelStep } from '../../src/steps/index.ts';
import type { ModelResult } from '../../src/llm/types.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
/** Doubles its number and turns its text into a length: applied twice, both would be wrong or refused. */
const doubled = z.object({ n: z.number().transform((n) => n * 2), text: z.string().transform((s) => s.length) });

describe('schemas with transforms', () => {
  it('gives the step the reply transformed once', async () => {
    const sim = await simulator({ script: { '*': () => JSON.stringify({ n: 2, text: 'four' }) } });
    const step = modelStep({
      id: 'double',
      prompt: (input: { q: string }) => [{ role: 'user', content: input.q }],
      schema: doubled,
      ladder: ['qwen2.5-coder:7b'],
      maxRetries: 0,
      config: { host: sim.url, timeoutMs: 5_000 },
    });
    const output = await toPromise(createActor(step, { input: { q: 'double it' } }).start());
    expect(output.status).toBe('done');
    expect(output.data).toEqual({ n: 4, text: 4 });
    expect(output.result?.data).toEqual({ n: 4, text: 4 });
  });

  it('reads a journaled reply again from its text: still valid, still transformed once', () => {
    const journaled: ModelResult = {
      success: true,
      content: '{"n":2,"text":"four"}',
      data: { n: 4, text: 4 }, // what the schema made of it when it was journaled
      model: 'qwen2.5-coder:7b',
      tokensIn: 3,
      tokensOut: 5,
      durationMs: 10,
      ttftMs: 2,
      retries: 0,
      score: null,
      metadata: { host: 'http://127.0.0.1:11434' },
    };
    const replayed = revalidated(journaled, doubled);
    expect(replayed.success).toBe(true);
    expect(replayed.data).toEqual({ n: 4, text: 4 });
    // A reply whose text no longer fits today's schema is refused, as before.
    const stricter = z.object({ n: z.number().min(3) });
    expect(revalidated(journaled, stricter)).toMatchObject({ success: false, metadata: { error: { kind: 'invalid-output' } } });
  });
});
