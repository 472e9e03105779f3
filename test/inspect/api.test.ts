// The inspector's HTTP API without a browser: JSON shapes, errors, the token and origin rules, live news, actions.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInspector, type Inspector, type RunView } from '../../src/inspect/index.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { FileStore, type RunSummary } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import workflow from './fixtures/review.workflow.ts';
import { filesUnder } from '../helpers/files.ts';
import { call, nextChange } from './http.ts';

const modulePath = fileURLToPath(new URL('./fixtures/review.workflow.ts', import.meta.url));

describe('inspector API', () => {
  let sim: Simulator;
  let inspector: Inspector;
  let store: FileStore;
  let dir: string;
  const savedHost = process.env.OLLAMA_HOST;
  const runId = 'api-waiting';
  const json = { 'content-type': 'application/json' };
  let write: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 11 });
    process.env.OLLAMA_HOST = sim.url;
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-api-'));
    store = new FileStore({ dir });
    const record = await runWorkflow({ store, workflow, modulePath, input: { topic: 'kelp' }, runId, limiter: null });
    expect(record.status).toBe('waiting');
    inspector = await startInspector({ store, pollMs: 200 });
    write = { ...json, 'x-harness-token': inspector.token };
  });

  afterAll(async () => {
    await inspector?.close();
    await sim?.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 and prints a page URL that carries the token', () => {
    expect(inspector.host).toBe('127.0.0.1');
    expect(inspector.url).toBe(`http://127.0.0.1:${inspector.port}`);
    expect(new URL(inspector.pageUrl).searchParams.get('token')).toBe(inspector.token);
    expect(inspector.token.length).toBeGreaterThanOrEqual(32);
  });

  it('lists runs newest first with the summary fields the page shows', async () => {
    const reply = await call(inspector.url, 'GET', '/api/runs');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const { runs, unreadable } = reply.json() as { runs: RunSummary[]; unreadable: unknown[] };
    expect(unreadable).toEqual([]);
    const run = runs.find((r) => r.runId === runId);
    expect(run).toMatchObject({ workflowId: 'review-note', status: 'waiting', calls: 2, flags: [] });
    expect(run?.tokens).toBeGreaterThan(0);
    expect(typeof run?.createdAt).toBe('string');
    expect(typeof run?.activeMs).toBe('number');
  });

  it('gives one run as diagram, active states, accepted events, calls, timeline and snapshot', async () => {
    const reply = await call(inspector.url, 'GET', `/api/runs/${runId}`);
    expect(reply.status).toBe(200);
    const view = reply.json() as RunView;
    expect(view.summary.status).toBe('waiting');
    expect(view.active).toEqual(['approval']);
    expect(view.accepts).toEqual(['APPROVE', 'REJECT']);
    expect(view.calls.map((c) => [c.step, c.model, c.attempt, c.escalatedFrom])).toEqual([
      ['draft', 'qwen2.5-coder:7b', 1, null],
      ['review', 'qwen2.5-coder:7b', 1, null],
    ]);
    expect(view.timeline.at(-1)?.state).toEqual(['approval']);
    expect(view.snapshot).toMatchObject({ status: 'active', value: 'approval' });
    // The root's chart: each model step is a state that invokes the step's machine, its done event an arrow.
    const paths = view.diagram?.boxes.map((b) => b.path) ?? [];
    expect([...paths].sort()).toEqual(['', 'approval', 'done', 'drafting', 'flagged', 'reviewing']);
    expect(view.diagram?.boxes.find((b) => b.path === 'drafting')?.lines).toContain('invoke draft');
    expect(view.diagram?.edges).toEqual(expect.arrayContaining([
      expect.objectContaining({ from: 'approval', to: 'done', label: 'APPROVE' }),
      expect.objectContaining({ from: 'approval', to: 'drafting', label: 'REJECT' }),
      expect.objectContaining({ from: 'drafting', to: 'reviewing', label: 'done: draft' }),
      expect.objectContaining({ from: 'reviewing', to: 'approval', label: 'done: review' }),
    ]));
    // Both steps have ended: nothing is left running under the root, so no child chart is drawn.
    expect(view.children).toEqual([]);
    expect(view.agents).toEqual([]);
    expect(view.calls.map((c) => [c.label, c.actor, c.pass])).toEqual([['draft', 'root', 1], ['review', 'root', 1]]);
  });

  it('draws a model step under way from the snapshot’s children: its own chart and its state', async () => {
    const stop = new AbortController();
    const stopped = await runWorkflow({
      store, workflow, modulePath, input: { topic: 'mid' }, runId: 'api-mid-step', limiter: null, signal: stop.signal,
      onCall: (event) => {
        if (event.type === 'call.start') stop.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    const view = (await call(inspector.url, 'GET', '/api/runs/api-mid-step')).json() as RunView;
    expect(view.active).toEqual(['drafting']);
    expect(view.children).toEqual([{ id: 'draft', src: 'draft', status: 'active', state: ['attempting'] }]);
    expect(view.agents).toHaveLength(1);
    const [step] = view.agents;
    expect(step).toMatchObject({ id: 'draft', src: 'draft', kind: 'step', status: 'active', active: ['attempting'], diagramError: null });
    expect(step?.diagram?.boxes.map((b) => b.path)).toEqual(expect.arrayContaining(['', 'attempting', 'deciding', 'backingOff', 'done', 'flagged']));
    expect(step?.diagram?.edges).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'attempting', to: 'deciding' })]));
  });

  it('answers a malformed run id with 400 and an unknown one with 404, both as JSON', async () => {
    const bad = await call(inspector.url, 'GET', '/api/runs/..%2Fsecrets');
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ name: 'InvalidRunIdError' });
    const missing = await call(inspector.url, 'GET', '/api/runs/no-such-run');
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ name: 'RunNotFoundError' });
    expect((await call(inspector.url, 'GET', '/api/nothing')).status).toBe(404);
  });

  it('serves its page from disk with a policy that loads nothing from elsewhere', async () => {
    const page = await call(inspector.url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/app.js">');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = await call(inspector.url, 'GET', '/app.js');
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.body).not.toMatch(/https?:\/\//);
    expect((await call(inspector.url, 'GET', '/../package.json')).status).toBe(404);
  });

  it('refuses writes without the token, and leaves the run as it was', async () => {
    const none = await call(inspector.url, 'POST', `/api/runs/${runId}/cancel`, json, '{}');
    expect(none.status).toBe(403);
    expect(none.json()).toMatchObject({ error: expect.stringContaining('x-harness-token') });
    const wrong = await call(inspector.url, 'POST', `/api/runs/${runId}/send`, { ...json, 'x-harness-token': 'guess' }, '{"type":"APPROVE"}');
    expect(wrong.status).toBe(403);
    expect((await store.read(runId)).status).toBe('waiting');
  });

  it('refuses cross-origin and cross-site writes even with the token', async () => {
    const evil = await call(inspector.url, 'POST', `/api/runs/${runId}/cancel`, { ...write, origin: 'http://evil.example' }, '{}');
    expect(evil.status).toBe(403);
    expect(evil.json()).toMatchObject({ error: expect.stringContaining('cross-origin') });
    const site = await call(inspector.url, 'POST', `/api/runs/${runId}/cancel`, { ...write, 'sec-fetch-site': 'cross-site' }, '{}');
    expect(site.status).toBe(403);
    expect((await store.read(runId)).status).toBe('waiting');
  });

  it('answers only to its own host names (a rebound DNS name cannot read runs)', async () => {
    const rebound = await call(inspector.url, 'GET', '/api/runs', { host: `evil.example:${inspector.port}` });
    expect(rebound.status).toBe(403);
    const local = await call(inspector.url, 'GET', '/api/runs', { host: `localhost:${inspector.port}` });
    expect(local.status).toBe(200);
  });

  it('rejects events the run does not take, and XState internal events', async () => {
    const nope = await call(inspector.url, 'POST', `/api/runs/${runId}/send`, write, '{"type":"NOPE"}');
    expect(nope.status).toBe(409);
    expect(nope.json()).toMatchObject({ name: 'EventRejectedError', error: expect.stringContaining('APPROVE') });
    const internal = await call(inspector.url, 'POST', `/api/runs/${runId}/send`, write, '{"type":"xstate.init"}');
    expect(internal.status).toBe(400);
    const form = await call(inspector.url, 'POST', `/api/runs/${runId}/send`, { ...write, 'content-type': 'text/plain' }, '{"type":"APPROVE"}');
    expect(form.status).toBe(415);
    expect((await store.read(runId)).status).toBe('waiting');
  });

  it('refuses a payload that is not an object of fields, or fails the schema the wait declared, writing nothing', async () => {
    const before = filesUnder(dir);
    const list = await call(inspector.url, 'POST', `/api/runs/${runId}/send`, write, '{"type":"APPROVE","data":["ann"]}');
    expect(list.status).toBe(400);
    expect(list.json()).toMatchObject({ error: expect.stringContaining("must be a JSON object of the event's fields") });
    const typed = await call(inspector.url, 'POST', `/api/runs/${runId}/send`, write, '{"type":"APPROVE","data":{"type":"REJECT"}}');
    expect(typed.status).toBe(400);
    const invalid = await call(inspector.url, 'POST', `/api/runs/${runId}/send`, write, '{"type":"APPROVE","data":{"note":5}}');
    expect(invalid.status).toBe(409);
    expect(invalid.json()).toMatchObject({ name: 'EventRejectedError', error: expect.stringMatching(/refuses APPROVE: .*\(note: /) });
    expect(filesUnder(dir)).toEqual(before);
  });

  it('delivers APPROVE with data from a same-origin page, and tells live listeners the run changed', async () => {
    const news = nextChange(inspector.url, runId);
    await news.ready;
    const reply = await call(inspector.url, 'POST', `/api/runs/${runId}/send`, { ...write, origin: inspector.url, 'sec-fetch-site': 'same-origin' }, '{"type":"APPROVE","data":{"by":"test"}}');
    expect(reply.status).toBe(202);
    expect(reply.json()).toMatchObject({ runId });
    expect(await news.changed).toEqual({ runId });
    await vi.waitFor(async () => expect((await store.read(runId)).status).toBe('done'), { timeout: 5000 });
    const again = await call(inspector.url, 'POST', `/api/runs/${runId}/resume`, write);
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({ name: 'RunFinishedError' });
  });

  it('resumes a stopped run in the background, in the inspector process', async () => {
    const stop = new AbortController();
    const stopped = await runWorkflow({
      store, workflow, modulePath, input: { topic: 'tide' }, runId: 'api-resume', limiter: null, signal: stop.signal,
      onCall: (event) => {
        if (event.type === 'call.start') stop.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    const reply = await call(inspector.url, 'POST', '/api/runs/api-resume/resume', write);
    expect(reply.status).toBe(202);
    expect(reply.json()).toMatchObject({ runId: 'api-resume' });
    await vi.waitFor(async () => expect((await store.read('api-resume')).status).toBe('waiting'), { timeout: 5000 });
    expect((await store.read('api-resume')).journal.map((e) => e.step)).toEqual(['draft', 'review']);
  });

  it('cancels a waiting run with the token', async () => {
    const record = await runWorkflow({ store, workflow, modulePath, input: { topic: 'reef' }, runId: 'api-cancel', limiter: null });
    expect(record.status).toBe('waiting');
    const reply = await call(inspector.url, 'POST', '/api/runs/api-cancel/cancel', write);
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ runId: 'api-cancel', status: 'cancelled' });
    expect((await store.read('api-cancel')).status).toBe('cancelled');
  });

  it('lists a damaged run file as unreadable instead of failing the list', async () => {
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    const { unreadable } = (await call(inspector.url, 'GET', '/api/runs')).json() as { unreadable: { file: string }[] };
    expect(unreadable.map((u) => u.file)).toContain('broken.json');
    expect((await call(inspector.url, 'GET', '/api/runs/broken')).status).toBe(422);
  });
});
