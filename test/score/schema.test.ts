import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { schemaScorer } from '../../src/score/schema.ts';

const person = z.object({ name: z.string(), age: z.number().int().min(0) });

describe('schemaScorer', () => {
  it('scores 1 for JSON matching the schema', async () => {
    expect(await schemaScorer(person)({ content: '{"name":"Ada","age":36}' })).toEqual({ value: 1, reasons: [] });
  });

  it('scores 0 with one reason per schema issue, prefixed by its path', async () => {
    const score = await schemaScorer(person)({ content: '{"name":7,"age":-1}' });
    expect(score.value).toBe(0);
    expect(score.reasons).toHaveLength(2);
    expect(score.reasons[0]).toMatch(/^name: /);
    expect(score.reasons[1]).toMatch(/^age: /);
  });

  it('scores 0 for content that is not JSON, saying so', async () => {
    const score = await schemaScorer(person)({ content: '{"name": "Ada",' });
    expect(score.value).toBe(0);
    expect(score.reasons).toHaveLength(1);
    expect(score.reasons[0]).toMatch(/not valid JSON/);
  });

  it('scores 0 for an empty reply', async () => {
    expect(await schemaScorer(person)({ content: '' })).toEqual({ value: 0, reasons: ['reply is empty'] });
  });

  it('judges the content, not a data field that may disagree with it', async () => {
    const score = await schemaScorer(person)({ content: 'oops', data: { name: 'Ada', age: 36 } });
    expect(score.value).toBe(0);
  });
});
