import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { retryFeedback } from '../../src/llm/feedback.ts';
import { validateContent } from '../../src/llm/validate.ts';
import type { ChatMessage, ModelResult, ValidationIssue } from '../../src/llm/types.ts';

function failedResult(content: string, issues: ValidationIssue[] | undefined, kind: 'invalid-output' | 'timeout'): ModelResult {
  return {
    content,
    model: 'm',
    tokensIn: 1,
    tokensOut: 1,
    durationMs: 1,
    ttftMs: 1,
    success: false,
    retries: 0,
    score: null,
    metadata: { host: 'http://127.0.0.1:1', error: { kind, message: 'x' }, ...(issues ? { issues } : {}) },
  };
}

const messages: ChatMessage[] = [
  { role: 'system', content: 'You answer in JSON.' },
  { role: 'user', content: 'List two fruits.' },
];

describe('retryFeedback', () => {
  it('appends the failed reply and a user message listing each issue as path: message', () => {
    const schema = z.object({ items: z.array(z.object({ name: z.string() })), count: z.number() });
    const checked = validateContent('{"items":[{"name":1}]}', { schema });
    expect(checked.ok).toBe(false);
    const issues = checked.ok ? [] : checked.issues;
    const next = retryFeedback(messages, failedResult('{"items":[{"name":1}]}', issues, 'invalid-output'));

    expect(next.slice(0, 2)).toEqual(messages);
    expect(next).toHaveLength(4);
    expect(next[2]).toEqual({ role: 'assistant', content: '{"items":[{"name":1}]}' });
    expect(next[3]?.role).toBe('user');
    const text = next[3]?.content ?? '';
    expect(text).toContain('- items.0.name: Invalid input: expected string, received number');
    expect(text).toContain('- count: Invalid input: expected number, received undefined');
    expect(text).toMatch(/corrected JSON only/);
  });

  it('shows a parse error at (root)', () => {
    const checked = validateContent('{"a": ');
    const issues = checked.ok ? [] : checked.issues;
    const text = retryFeedback(messages, failedResult('{"a": ', issues, 'invalid-output')).at(-1)?.content ?? '';
    expect(text).toMatch(/^- \(root\): reply is not valid JSON: /m);
  });

  it('is pure: the input array is left untouched', () => {
    const copy = structuredClone(messages);
    retryFeedback(messages, failedResult('x', [{ path: '', message: 'bad' }], 'invalid-output'));
    expect(messages).toEqual(copy);
  });

  it('omits an empty assistant reply', () => {
    const next = retryFeedback(messages, failedResult('', [{ path: '', message: 'reply is empty' }], 'invalid-output'));
    expect(next.map((m) => m.role)).toEqual(['system', 'user', 'user']);
  });

  it('returns the same conversation for a failure that is not about the output', () => {
    const next = retryFeedback(messages, failedResult('', undefined, 'timeout'));
    expect(next).toEqual(messages);
    expect(next).not.toBe(messages);
  });
});

describe('validateContent', () => {
  it('parses plain JSON and JSON in a markdown fence', () => {
    expect(validateContent('{"a":1}')).toEqual({ ok: true, data: { a: 1 } });
    expect(validateContent('```json\n{"a":1}\n```')).toEqual({ ok: true, data: { a: 1 } });
  });

  it('returns the schema output (after transforms)', () => {
    const schema = z.object({ n: z.string().transform((s) => s.length) });
    expect(validateContent('{"n":"abc"}', { schema })).toEqual({ ok: true, data: { n: 3 } });
  });

  it('says when a parse failure comes from truncation', () => {
    const checked = validateContent('{"a": [1, 2', { truncatedAt: 16 });
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.issues[0]).toEqual({ path: '', message: 'reply was truncated at maxTokens (16 tokens) before the JSON was complete' });
    }
  });

  it('reports an empty reply as such', () => {
    expect(validateContent('  ')).toEqual({ ok: false, issues: [{ path: '', message: 'reply is empty' }] });
  });
});
