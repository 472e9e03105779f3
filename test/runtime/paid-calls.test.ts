// The one definition of a paid call: reused (copied by a fork) and unanswered (no model replied) calls apart.
import { describe, expect, it } from 'vitest';
import { callCountText, countCalls } from '../../src/runtime/paid-calls.ts';
import type { StoredCall, StoredJournalEntry } from '../../src/store/index.ts';

const call = (over: Partial<StoredCall> = {}): StoredCall => ({
  content: '{}', model: 'm', tokensIn: 10, tokensOut: 5, durationMs: 7, ttftMs: 1, success: true, retries: 0, score: null, metadata: { host: 'h' }, ...over,
});
const entry = (key: string, result: StoredCall, extra: Partial<StoredJournalEntry> = {}): StoredJournalEntry => ({ key, requestHash: 'x', step: 's', result, at: '2026-12-07T00:00:00Z', ...extra });

describe('paid calls', () => {
  it('counts a refused connection as unanswered, an invalid reply as paid, judges kept inside entries as paid', () => {
    const refused = call({ success: false, tokensIn: 0, tokensOut: 0, durationMs: 3, metadata: Object.assign({ host: 'h' }, { error: { kind: 'connection', message: 'cannot connect' } }) });
    const invalid = call({ success: false, metadata: Object.assign({ host: 'h' }, { error: { kind: 'invalid-output', message: 'bad json' } }) });
    const counts = countCalls([entry('a', refused), entry('b', invalid), entry('c', call(), { judges: [call({ tokensIn: 1, tokensOut: 1 })] })]);
    expect(counts).toEqual({ paid: 3, reused: 0, unanswered: 1, tokensIn: 21, tokensOut: 11, durationMs: 21 });
    expect(callCountText(counts)).toBe('3 paid, 1 unanswered');
  });

  it('counts a fork\'s copied entries, judges inside them too, as reused: no tokens of theirs', () => {
    const counts = countCalls([entry('a', call(), { reusedFrom: 'source', judges: [call()] }), entry('b', call())]);
    expect(counts).toMatchObject({ paid: 1, reused: 2, tokensIn: 10, tokensOut: 5 });
    expect(callCountText(counts)).toBe('1 paid, 2 reused');
    expect(callCountText({ paid: 4 })).toBe('4');
  });
});
