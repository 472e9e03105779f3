import { describe, it, expect } from 'vitest';
import { Ollama } from 'ollama';
import { z } from 'zod';
import { startSimulator, type SimRequest, type SimulatorOptions } from '../../src/testing/index.ts';
import { eventually, useSimulators } from '../helpers/simulators.ts';

const BUSY = 'server busy, please try again.  maximum pending requests exceeded';
const person = z.object({ name: z.string(), age: z.number().int().min(0), tags: z.array(z.string()) });
const ask = [{ role: 'user', content: 'Describe a person.' }];
const model = 'qwen2.5-coder:7b';

const simulator = useSimulators();

async function withFault(kind: string, options: SimulatorOptions = {}) {
  const sim = await simulator({ faults: { [kind]: 1 }, ...options });
  return { sim, ollama: new Ollama({ host: sim.url }) };
}

describe('every fault kind, seen from the client', () => {
  it('500: ResponseError 500 with a runner error', async () => {
    const { sim, ollama } = await withFault('500');
    const error = await ollama.chat({ model, messages: ask }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ResponseError', status_code: 500, message: 'llama runner process has terminated: exit status 2' });
    expect(sim.stats().faults).toEqual({ '500': 1 });
  });

  it('503: ResponseError 503 with the busy text', async () => {
    const { sim, ollama } = await withFault('503');
    const error = await ollama.chat({ model, messages: ask, stream: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ResponseError', status_code: 503, message: BUSY });
    expect(sim.stats().faults).toEqual({ '503': 1 });
  });

  it('hang: no answer until the client gives up; the server counts the disconnect and frees the slot', async () => {
    const { sim } = await withFault('hang');
    const error = await fetch(`${sim.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model, messages: ask }),
      signal: AbortSignal.timeout(150),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    await eventually(() => sim.stats().disconnects === 1 && sim.stats().inFlight === 0);
    expect(sim.stats()).toMatchObject({ completed: 0, faults: { hang: 1 } });
  });

  it('hang: close() ends the hung request instead of waiting for it', async () => {
    const { sim, ollama } = await withFault('hang');
    const pending = ollama.chat({ model, messages: ask }).catch((e: unknown) => e);
    await eventually(() => sim.stats().inFlight === 1);
    await sim.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('reset: the socket is destroyed without a response', async () => {
    const { sim, ollama } = await withFault('reset');
    const error = await ollama.chat({ model, messages: ask }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(sim.stats()).toMatchObject({ faults: { reset: 1 }, disconnects: 0, completed: 0 });
  });

  it('midstream: some tokens, then an error line and no done line (the client throws)', async () => {
    const { sim, ollama } = await withFault('midstream', { replyTokens: 10 });
    const raw = await fetch(`${sim.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model, messages: ask }) });
    expect(raw.status).toBe(200);
    const lines = (await raw.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(6);
    expect(lines.at(-1)).toEqual({ error: 'an error was encountered while running the model: unexpected EOF' });
    expect(lines.some((l) => l.done === true)).toBe(false);

    const pieces: string[] = [];
    const stream = await ollama.chat({ model, messages: [{ role: 'user', content: 'again' }], stream: true });
    const error = await (async () => {
      for await (const part of stream) pieces.push(part.message.content);
    })().catch((e: unknown) => e);
    expect(pieces.length).toBe(5);
    expect(error).toMatchObject({ message: 'an error was encountered while running the model: unexpected EOF' });
    const whole = await ollama.chat({ model, messages: ask }).catch((e: unknown) => e);
    expect(whole).toMatchObject({ name: 'ResponseError', status_code: 500 });
    expect(sim.stats()).toMatchObject({ faults: { midstream: 3 }, completed: 0, disconnects: 0 });
  });

  it('badjson: unparsable content with done_reason stop, only when a format was asked for', async () => {
    const { sim, ollama } = await withFault('badjson');
    const r = await ollama.chat({ model, messages: ask, format: z.toJSONSchema(person) });
    expect(r.done_reason).toBe('stop');
    expect(() => JSON.parse(r.message.content)).toThrow();
    const plain = await ollama.chat({ model, messages: ask });
    expect(plain.message.content.split(' ')).toHaveLength(24);
    expect(sim.stats().faults).toEqual({ badjson: 1 });
    expect(sim.log().map((l) => l.fault)).toEqual(['badjson', undefined]);
  });

  it('schema: valid JSON that fails the schema; with format "json" it is broken JSON', async () => {
    const { sim, ollama } = await withFault('schema');
    const r = await ollama.chat({ model, messages: ask, format: z.toJSONSchema(person) });
    expect(person.safeParse(JSON.parse(r.message.content)).success).toBe(false);
    const json = await ollama.chat({ model, messages: ask, format: 'json' });
    expect(() => JSON.parse(json.message.content)).toThrow();
    expect(sim.stats().faults).toEqual({ schema: 2 });
  });

  it('truncate: a prefix of the real reply with done_reason length', async () => {
    const clean = new Ollama({ host: (await simulator()).url });
    const { ollama } = await withFault('truncate');
    const full = await clean.chat({ model, messages: ask, format: z.toJSONSchema(person) });
    const cut = await ollama.chat({ model, messages: ask, format: z.toJSONSchema(person) });
    expect(cut.done_reason).toBe('length');
    expect(full.message.content.startsWith(cut.message.content)).toBe(true);
    expect(cut.message.content.length).toBeLessThan(full.message.content.length);
    expect(cut.eval_count).toBeLessThan(full.eval_count);
  });

  it('a script can force a fault for one model', async () => {
    const sim = await simulator({ script: { 'llama3.2:3b': () => ({ content: 'x', fault: '503' }) } });
    const ollama = new Ollama({ host: sim.url });
    await expect(ollama.chat({ model: 'llama3.2:3b', messages: ask })).rejects.toMatchObject({ status_code: 503 });
    expect((await ollama.chat({ model, messages: ask })).done).toBe(true);
  });
});

describe('faults by rate: reproducible by seed, fresh on retry', () => {
  async function run(seed: number): Promise<string[]> {
    const sim = await simulator({ seed, faults: { rate: 0.5, kinds: ['500', 'truncate'] }, replyTokens: 4 });
    const ollama = new Ollama({ host: sim.url });
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await ollama
        .chat({ model, messages: [{ role: 'user', content: `question ${i}` }] })
        .then((x) => `${x.done_reason}:${x.message.content}`)
        .catch((e: { status_code?: number }) => `error ${e.status_code}`);
      outcomes.push(r);
    }
    return outcomes;
  }

  it('same seed → same faults and replies; another seed → different', async () => {
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const errors = a.filter((o) => o === 'error 500').length;
    const truncated = a.filter((o) => o.startsWith('length:')).length;
    expect(errors).toBeGreaterThan(0);
    expect(truncated).toBeGreaterThan(0);
    expect(errors + truncated).toBeLessThan(30);
  });

  it('a retry of the identical request is attempt 2 with its own draw, and reset starts over', async () => {
    const seen: SimRequest[] = [];
    const sim = await simulator({ seed: 2, faults: { '500': 0.5 }, script: { '*': (req) => (seen.push(req), 'ok') } });
    const ollama = new Ollama({ host: sim.url });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(await ollama.chat({ model, messages: ask }).then(() => 200, (e: { status_code: number }) => e.status_code));
    }
    expect(seen.map((r) => r.attempt)).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(new Set(statuses)).toEqual(new Set([200, 500]));
    sim.reset();
    const again: number[] = [];
    for (let i = 0; i < 12; i++) {
      again.push(await ollama.chat({ model, messages: ask }).then(() => 200, (e: { status_code: number }) => e.status_code));
    }
    expect(again).toEqual(statuses);
  });

  it('rejects bad fault specs', async () => {
    await expect(startSimulator({ faults: { rate: 2, kinds: ['500'] } })).rejects.toThrow(RangeError);
    await expect(startSimulator({ faults: { rate: 0.1, kinds: ['nope' as '500'] } })).rejects.toThrow(/unknown fault kind "nope"/);
    await expect(startSimulator({ faults: { '500': 0.7, hang: 0.6 } })).rejects.toThrow(/more than 1/);
  });
});
