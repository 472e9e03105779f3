// The call cache: keyed by what the model sees, keeps only replies, judges a kept reply under today's schema, and
// answers a run's calls (after its journal) so a re-run pays nothing; its size is shown and it can be cleared.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cacheKey, cacheSize, clearCache, EvalInputError, FileCallCache } from '../../src/eval/index.ts';
import type { ModelResult } from '../../src/llm/types.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { useSimulators } from '../helpers/simulators.ts';
import sum from './fixtures/sum.workflow.ts';
import { script } from './fixtures/sum-script.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const newSimulator = useSimulators();

const reply = (content: string, over: Partial<ModelResult> = {}): ModelResult => ({
  content, model: 'm', tokensIn: 5, tokensOut: 7, durationMs: 12, ttftMs: 3, success: true, retries: 0, score: null, metadata: { host: 'http://h' }, ...over,
});
const messages = [{ role: 'user' as const, content: 'hi' }];

describe('keys', () => {
  it('change with the model, messages, format and options; not with host, timeout or retries', () => {
    const base = cacheKey({ messages, config: { model: 'm' } });
    expect(cacheKey({ messages, config: { model: 'm', host: 'http://other:1', timeoutMs: 5, maxRetries: 9 } })).toBe(base);
    expect(cacheKey({ messages, config: { model: 'n' } })).not.toBe(base);
    expect(cacheKey({ messages: [{ role: 'user', content: 'ho' }], config: { model: 'm' } })).not.toBe(base);
    expect(cacheKey({ messages, config: { model: 'm', temperature: 0.5 } })).not.toBe(base);
    expect(cacheKey({ messages, config: { model: 'm', options: { num_ctx: 4096 } } })).not.toBe(base);
    expect(cacheKey({ messages, config: { model: 'm', json: true } })).not.toBe(base);
    expect(cacheKey({ messages, config: { model: 'm', schema: z.object({ a: z.number() }) } })).not.toBe(cacheKey({ messages, config: { model: 'm', schema: z.object({ a: z.string() }) } }));
  });
});

describe('FileCallCache', () => {
  it('keeps replies (valid or invalid) and never a host failure', async () => {
    const cache = new FileCallCache(join(dir, 'a'));
    const config = { model: 'm' };
    await cache.put({ messages, config }, reply('{"a":1}'));
    await cache.put({ messages: [{ role: 'user', content: 'two' }], config }, reply('oops', { success: false, metadata: { host: 'h', error: { kind: 'invalid-output', message: 'bad' } } }));
    await cache.put({ messages: [{ role: 'user', content: 'three' }], config }, reply('', { success: false, metadata: { host: 'h', error: { kind: 'busy', message: '503' } } }));
    expect(cache.stats()).toMatchObject({ writes: 2 });
    expect(cacheSize(cache.dir).entries).toBe(2);
    expect(await cache.get({ messages, config })).toMatchObject({ content: '{"a":1}', tokensOut: 7 });
    expect(await cache.get({ messages: [{ role: 'user', content: 'three' }], config })).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('reads a kept reply under today\'s schema: a refinement added since turns it invalid, and back', async () => {
    const cache = new FileCallCache(join(dir, 'b'));
    const loose = z.object({ total: z.number() });
    const strict = z.object({ total: z.number() }).refine((v) => v.total > 100, { message: 'too small', path: ['total'] });
    await cache.put({ messages, config: { model: 'm', schema: loose } }, reply('{"total": 5}', { data: { total: 5 } }));
    const kept = await cache.get({ messages, config: { model: 'm', schema: strict } });
    expect(kept).toMatchObject({ success: false, metadata: { error: { kind: 'invalid-output', message: 'total: too small' }, issues: [{ path: 'total', message: 'too small' }] } });
    expect(kept?.data).toBeUndefined();
    expect(await cache.get({ messages, config: { model: 'm', schema: loose } })).toMatchObject({ success: true, data: { total: 5 } });
  });

  it('answers a run\'s calls: the second run of a workflow pays for none and is journaled like the first', async () => {
    const sim = await newSimulator({ script });
    const saved = process.env.OLLAMA_HOST;
    process.env.OLLAMA_HOST = sim.url;
    try {
      const cache = new FileCallCache(join(dir, 'c'));
      const store = new MemoryStore();
      const input = { a: 3, b: 4 }; // the small model answers invalid JSON twice, then the step escalates: three calls
      const first = await runWorkflow({ store, workflow: sum, modulePath: 'sum.ts', input, runId: 'one', cache });
      expect(sim.stats().completed).toBe(3);
      const second = await runWorkflow({ store, workflow: sum, modulePath: 'sum.ts', input, runId: 'two', cache });
      expect(sim.stats().completed).toBe(3);
      expect(second.output).toEqual(first.output);
      const calls = (record: typeof first) => record.journal.map((e) => [e.result.model, e.result.success, e.result.tokensOut]);
      expect(calls(second)).toEqual(calls(first));
      expect(cache.stats()).toEqual({ hits: 3, misses: 3, writes: 3, writeErrors: 0 });
    } finally {
      if (saved === undefined) delete process.env.OLLAMA_HOST;
      else process.env.OLLAMA_HOST = saved;
    }
  });
});

describe('size and clear', () => {
  it('counts the replies kept; clears a cache, and refuses a directory that is not one', async () => {
    const cache = new FileCallCache(join(dir, 'd'));
    await cache.put({ messages, config: { model: 'm' } }, reply('x'));
    expect(cacheSize(cache.dir)).toMatchObject({ entries: 1 });
    expect(cacheSize(join(dir, 'absent'))).toEqual({ dir: join(dir, 'absent'), entries: 0, bytes: 0 });
    const other = join(dir, 'not-a-cache');
    mkdirSync(join(other, 'ab'), { recursive: true });
    await expect(clearCache(other)).rejects.toThrow(EvalInputError);
    expect(readdirSync(other)).toEqual(['ab']);
    expect((await clearCache(cache.dir)).entries).toBe(1);
    expect(existsSync(cache.dir)).toBe(false);
  });
});
