import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { resolveConfig, defaultModelConfig, formatSchema } from '../../src/llm/config.ts';
import { ConfigError } from '../../src/llm/errors.ts';

describe('resolveConfig', () => {
  it('fills in the seed defaults', () => {
    expect(resolveConfig({})).toEqual({
      model: 'qwen2.5-coder:7b',
      temperature: 0,
      maxTokens: 1024,
      json: false,
      timeoutMs: 120000,
      maxRetries: 2,
      retryDelayMs: 1000,
    });
    expect(resolveConfig()).toEqual({ ...defaultModelConfig });
  });

  it('keeps given values, the schema object itself, host and options', () => {
    const schema = z.object({ a: z.string() });
    const cfg = resolveConfig({ model: 'llama3.2:3b', temperature: 0.7, schema, host: ':1', options: { seed: 3 } });
    expect(cfg.model).toBe('llama3.2:3b');
    expect(cfg.temperature).toBe(0.7);
    expect(cfg.schema).toBe(schema);
    expect(cfg.host).toBe(':1');
    expect(cfg.options).toEqual({ seed: 3 });
  });

  it('strips unknown keys instead of failing', () => {
    const cfg = resolveConfig({ model: 'm', extra: 1 } as Parameters<typeof resolveConfig>[0]);
    expect(cfg).not.toHaveProperty('extra');
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['negative timeoutMs', { timeoutMs: -5 }, /^invalid model config: timeoutMs must be > 0 \(got -5\)$/],
    ['infinite timeoutMs', { timeoutMs: Infinity }, /timeoutMs must be a finite number of ms/],
    ['empty model', { model: '' }, /model must not be empty \(got ""\)/],
    ['blank model', { model: '   ' }, /model must not be empty/],
    ['temperature as a string', { temperature: 'hot' }, /temperature must be a finite number \(got "hot"\)/],
    ['NaN temperature', { temperature: NaN }, /temperature must be a finite number/],
    ['negative temperature', { temperature: -1 }, /temperature must be >= 0/],
    ['fractional maxTokens', { maxTokens: 1.5 }, /maxTokens must be an integer/],
    ['zero maxTokens', { maxTokens: 0 }, /maxTokens must be > 0/],
    ['negative maxRetries', { maxRetries: -1 }, /maxRetries must be >= 0/],
    ['json as a string', { json: 'yes' }, /json must be true or false/],
    ['schema that is not zod', { schema: { type: 'object' } }, /schema must be a zod schema \(got a object\)/],
    ['options as an array', { options: [1] }, /options must be an object \(got an array\)/],
  ];

  it.each(bad)('throws a one-line ConfigError for %s', (_label, config, message) => {
    let caught: unknown;
    try {
      resolveConfig(config as Parameters<typeof resolveConfig>[0]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).name).toBe('ConfigError');
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('\n');
  });

  it('checks a frozen config once and resolves it the same every time; a bad frozen one is refused every time', () => {
    const schema = z.object({ answer: z.string() });
    const frozen = Object.freeze({ model: 'qwen2.5:7b', schema, options: { top_k: 5 }, context: { ladder: [8192, 4096] } });
    const first = resolveConfig(frozen);
    expect(resolveConfig(frozen)).toEqual(first);
    expect(first).toMatchObject({ model: 'qwen2.5:7b', schema, options: { top_k: 5 }, context: { ladder: [4096, 8192] }, maxTokens: defaultModelConfig.maxTokens });
    // Each call gets its own object: a caller changing what it got never changes the next call's config.
    expect(resolveConfig(frozen)).not.toBe(first);
    const bad = Object.freeze({ model: 'qwen2.5:7b', maxTokens: -1 });
    expect(() => resolveConfig(bad)).toThrow(ConfigError);
    expect(() => resolveConfig(bad)).toThrow(/maxTokens must be > 0/);
  });
});

describe('formatSchema', () => {
  it('emits the input side of the schema as JSON Schema, cached per schema', () => {
    const schema = z.object({ n: z.string().transform((s) => s.length) });
    const json = formatSchema(schema);
    expect(json).toMatchObject({ type: 'object', properties: { n: { type: 'string' } }, required: ['n'] });
    expect(formatSchema(schema)).toBe(json);
  });

  it('degrades what JSON Schema cannot express instead of failing', () => {
    expect(formatSchema(z.object({ when: z.date() }))).toMatchObject({ properties: { when: {} } });
  });
});
