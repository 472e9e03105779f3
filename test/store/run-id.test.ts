// Run ids: what is accepted as a file name, and the readable, time-sortable ids the store generates.
import { describe, expect, it } from 'vitest';
import { assertRunId, InvalidRunIdError, newRunId } from '../../src/store/index.ts';

describe('run ids', () => {
  it.each(['a', 'A_b-9', 'one-step-20261103-101500-ab12', 'x'.repeat(64)])('accepts %j', (runId) => {
    expect(assertRunId(runId)).toBe(runId);
  });

  it.each(['', '../x', 'a/b', 'a\\b', 'a b', '.hidden', 'a.json', 'x'.repeat(65), 'naïve'])('refuses %j', (runId) => {
    expect(() => assertRunId(runId)).toThrow(InvalidRunIdError);
  });

  it('makes <workflow>-<yyyymmdd-hhmmss>-<8 hex> ids that are valid run ids', () => {
    const id = newRunId('one-step', new Date('2026-11-03T04:05:06.789Z'));
    expect(id).toMatch(/^one-step-20261103-040506-[0-9a-f]{8}$/);
    expect(assertRunId(id)).toBe(id);
  });

  it('replaces characters a run id cannot hold and keeps long workflow ids within 64 characters', () => {
    expect(newRunId('my.flow v2', new Date('2026-01-02T03:04:05Z'))).toMatch(/^my_flow_v2-20260102-030405-[0-9a-f]{8}$/);
    const long = newRunId('w'.repeat(64), new Date('2026-01-02T03:04:05Z'));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long.startsWith(`${'w'.repeat(39)}-20260102-030405-`)).toBe(true);
    expect(assertRunId(long)).toBe(long);
  });

  it('sorts by start time', () => {
    const times = ['2026-01-02T03:04:05Z', '2026-01-02T03:04:06Z', '2026-01-10T00:00:00Z', '2027-01-01T00:00:00Z'];
    const ids = times.map((t) => newRunId('wf', new Date(t)));
    expect([...ids].sort()).toEqual(ids);
  });
});
