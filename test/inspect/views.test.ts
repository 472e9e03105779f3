// The inspector's new views over HTTP: judge calls in the table, a call's detail, the timeline in words, usage,
// calls in flight from a snapshot, and the runs list's filters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspector, type CallDetail, type FilteredRuns, type Inspector, type RunView } from '../../src/inspect/index.ts';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { codeReviewRun, reviewNoteRun, runsSimulator, type RunsFixture } from './fixtures/runs.ts';

describe('inspector views', () => {
  let fixture: RunsFixture;
  let inspector: Inspector;
  let store: FileStore;
  let dir: string;
  let running: Promise<RunRecord>;
  const savedHost = process.env.OLLAMA_HOST;

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(new URL(path, inspector.url));
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    fixture = await runsSimulator();
    process.env.OLLAMA_HOST = fixture.sim.url;
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-views-'));
    store = new FileStore({ dir });
    expect((await codeReviewRun(store, 'review-done')).status).toBe('done');
    fixture.harshJudge = true;
    expect((await codeReviewRun(store, 'review-flagged')).status).toBe('flagged');
    fixture.draftGate.open();
    expect((await reviewNoteRun(store, 'note-waiting')).status).toBe('waiting');
    fixture.draftGate = (await import('./fixtures/runs.ts')).gate();
    running = reviewNoteRun(store, 'note-running', 'kelp');
    // Wait for the checkpoint that shows the draft call in flight.
    for (let i = 0; i < 200; i++) {
      const record = await store.read('note-running').catch(() => null);
      if (record && JSON.stringify(record.snapshot).includes('"attemptKey"')) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    inspector = await startInspector({ store, pollMs: 200 });
  }, 60_000);

  afterAll(async () => {
    fixture.draftGate.open();
    await running;
    await inspector?.close();
    await fixture?.sim.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists judge calls under the calls they graded: as many rows as the run counts calls', async () => {
    const { body: view } = await get<RunView>('/api/runs/review-flagged');
    expect(view.calls).toHaveLength(view.usage.calls);
    expect(view.calls.map((c) => [c.label, c.kind])).toEqual([
      ['correctness/review', 'call'], ['security/review', 'call'], ['style/review', 'call'],
      ['verdict', 'call'], ['verdict · judge', 'judge'], ['verdict', 'call'], ['verdict · judge', 'judge'],
    ]);
    // A judge's call is a journal entry of its own (4 grades 3, 6 grades 5), listed under the call it graded.
    expect(view.calls.filter((c) => c.kind === 'judge').map((c) => [c.id, c.of])).toEqual([['4', '3'], ['6', '5']]);
  });

  it('gives a call’s detail: messages sent, reply, parsed data, score and reasons, judges, timings, host', async () => {
    const { status, body: d } = await get<CallDetail>('/api/runs/review-flagged/calls/5');
    expect(status).toBe(200);
    expect(d.row).toMatchObject({ label: 'verdict', model: 'qwen2.5-coder:32b', escalatedFrom: 'qwen2.5-coder:7b' });
    expect(d.messages?.map((m) => m.role)).toEqual(['system', 'user']);
    expect(d.messages?.[0]?.content).toMatch(/^You are the lead reviewer/);
    expect(d.messagesMissing).toBeNull();
    expect(d.reply.content).toContain('request-changes');
    expect(d.data).toMatchObject({ decision: 'request-changes' });
    expect(d.score).toBe(0.2);
    expect(d.scoreReasons).toEqual(['too vague: names no file']);
    expect(d.judges.map((j) => [j.id, j.label, j.model])).toEqual([['6', 'verdict · judge', 'qwen2.5-coder:32b']]);
    expect(d.timings.durationMs).toBeGreaterThan(0);
    expect(d.timings.evalMs).not.toBeNull();
    expect(d.host).toBe(fixture.sim.url);
    expect(d.replayed).toBeNull();

    // What the judge was asked is journaled with its call.
    const judge = (await get<CallDetail>('/api/runs/review-flagged/calls/6')).body;
    expect(judge.row.kind).toBe('judge');
    expect(judge.messages?.[0]?.content).toMatch(/^You are a strict, impartial evaluator/);
    expect(judge.messagesMissing).toBeNull();
    expect(judge.judges).toEqual([]);
    expect(judge.data).toEqual({ score: 2, reasons: ['too vague: names no file'] });

    expect((await get<{ error: string }>('/api/runs/review-flagged/calls/99')).status).toBe(404);
    expect((await get<{ error: string }>('/api/runs/review-flagged/calls/1.j0')).status).toBe(404);
    expect((await get<{ error: string }>('/api/runs/review-flagged/calls/x')).status).toBe(404);
  });

  it('tells the timeline in words', async () => {
    const { body: view } = await get<RunView>('/api/runs/review-flagged');
    const texts = view.timeline.map((t) => t.text);
    expect(texts).toContain('run started');
    expect(texts).toContain('security/review: attempt 1 started');
    expect(texts).toContain('correctness finished');
    expect(texts).toContain('verdict: attempt 1 done on qwen2.5-coder:7b: score 0.20; attempt 2 started');
    expect(texts).toContain('verdict: attempt 2 done on qwen2.5-coder:32b: score 0.20; flagged');
    expect(texts.some((t) => t.includes('xstate.'))).toBe(false);
    const waiting = (await get<RunView>('/api/runs/note-waiting')).body;
    expect(waiting.timeline.map((t) => t.text)).toContain('review: attempt 1 done on qwen2.5-coder:7b: valid reply; reply accepted');
  });

  it('sums usage per model and per step, judges included', async () => {
    const { body: view } = await get<RunView>('/api/runs/review-done');
    const { total, byModel, byStep } = view.usageDetail;
    expect(total.calls).toBe(view.usage.calls);
    expect(total.tokensIn).toBe(view.usage.tokensIn);
    expect(total.tokensOut).toBe(view.usage.tokensOut);
    expect(byModel.map((m) => m.name).sort()).toEqual(['qwen2.5-coder:32b', 'qwen2.5-coder:7b']);
    expect(byModel.reduce((n, m) => n + m.calls, 0)).toBe(total.calls);
    expect(byStep.find((s) => s.name === 'verdict · judge')?.calls).toBe(2);
  });

  it('shows the call in flight of a run another process drives, from its snapshot', async () => {
    const { body: view } = await get<RunView>('/api/runs/note-running');
    expect(view.summary.status).toBe('running');
    expect(view.inflight).toEqual([
      expect.objectContaining({ label: 'draft', step: 'draft', model: 'qwen2.5-coder:7b', attempt: 1, messages: 1, key: expect.stringMatching(/^root\/draft\/.+:.+\.m0\.a1$/) }),
    ]);
    expect((await get<RunView>('/api/runs/note-waiting')).body.inflight).toEqual([]);
  });

  it('filters the runs list by workflow, status and text, and offers every workflow and status', async () => {
    const all = (await get<FilteredRuns>('/api/runs')).body;
    expect(all.total).toBe(4);
    expect(all.workflows).toEqual(['code-review', 'review-note']);
    expect(all.statuses).toEqual(['done', 'flagged', 'running', 'waiting']);
    const reviews = (await get<FilteredRuns>('/api/runs?workflow=code-review')).body;
    expect(reviews.runs.map((r) => r.runId).sort()).toEqual(['review-done', 'review-flagged']);
    expect(reviews.workflows).toEqual(['code-review', 'review-note']);
    const flagged = (await get<FilteredRuns>('/api/runs?status=flagged')).body;
    expect(flagged.runs.map((r) => r.runId)).toEqual(['review-flagged']);
    expect((await get<FilteredRuns>('/api/runs?q=ladder%20EXHAUSTED')).body.runs.map((r) => r.runId)).toEqual(['review-flagged']);
    expect((await get<FilteredRuns>('/api/runs?q=note&status=waiting')).body.runs.map((r) => r.runId)).toEqual(['note-waiting']);
    expect((await get<FilteredRuns>('/api/runs?workflow=nope')).body.runs).toEqual([]);
  });
});
