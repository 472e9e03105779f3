// The inspector over a PostgresStore: runs listed and shown, another session's change reaching the page, a fork, the CLI.
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { serveInspector } from '../../src/cli/commands/inspect.ts';
import type { CliIO } from '../../src/cli/command.ts';
import { startInspector, type HistoryView, type Inspector, type RunView } from '../../src/inspect/index.ts';
import { cancelRun, runWorkflow, sendToRun } from '../../src/runtime/index.ts';
import type { RunSummary } from '../../src/store/index.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { dropSchema, freshSchema, localPostgresUrl, postgresMissing } from '../helpers/postgres.ts';
import workflow from './fixtures/review.workflow.ts';
import { call, nextChange } from './http.ts';

const modulePath = fileURLToPath(new URL('./fixtures/review.workflow.ts', import.meta.url));
const missing = await postgresMissing();
// Without a server these tests cannot say anything; in CI that is a failure, not a skip.
const skip = missing !== null && !process.env.CI;
if (skip) console.log(`inspector PostgreSQL tests skipped: no server at ${localPostgresUrl} (${missing}); CI is not set`);

describe.skipIf(skip)('inspector over PostgreSQL', () => {
  let sim: Simulator;
  const savedHost = process.env.OLLAMA_HOST;
  const schemas: string[] = [];
  const stores: PostgresStore[] = [];
  let inspector: Inspector | undefined;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 3 });
    process.env.OLLAMA_HOST = sim.url;
  });
  afterEach(async () => {
    await inspector?.close();
    inspector = undefined;
    await Promise.allSettled(stores.splice(0).map((store) => store.end()));
    await Promise.all(schemas.splice(0).map((schema) => dropSchema(localPostgresUrl, schema)));
  });
  afterAll(async () => {
    await sim?.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
  });

  /** A store in a fresh schema, or a second pool on a given one (as another process sharing the database would have). */
  function stored(schema = freshSchema()): { store: PostgresStore; schema: string } {
    if (!schemas.includes(schema)) schemas.push(schema);
    const store = new PostgresStore({ url: localPostgresUrl, schema });
    stores.push(store);
    return { store, schema };
  }

  it('lists runs, shows one with its history, and forks it', async () => {
    const { store } = stored();
    await runWorkflow({ store, workflow, modulePath, input: { topic: 'kelp' }, runId: 'pg-waiting', limiter: null });
    inspector = await startInspector({ store, pollMs: 100 });
    const info = (await call(inspector.url, 'GET', '/api/info')).json() as { dir: string };
    expect(info.dir).toBe(store.location);

    const { runs } = (await call(inspector.url, 'GET', '/api/runs')).json() as { runs: RunSummary[] };
    expect(runs.map((r) => [r.runId, r.status, r.calls])).toEqual([['pg-waiting', 'waiting', 2]]);
    const view = (await call(inspector.url, 'GET', '/api/runs/pg-waiting')).json() as RunView;
    expect(view.active).toEqual(['approval']);
    expect(view.accepts).toEqual(['APPROVE', 'REJECT']);
    expect(view.calls.map((c) => c.step)).toEqual(['draft', 'review']);
    expect((await call(inspector.url, 'GET', '/api/runs/nobody')).status).toBe(404);

    const { checkpoints } = (await call(inspector.url, 'GET', '/api/runs/pg-waiting/history')).json() as HistoryView;
    const at = checkpoints.find((c) => c.value === 'reviewing')?.seq;
    const before = sim.stats().requests;
    const reply = await call(inspector.url, 'POST', '/api/runs/pg-waiting/fork', { 'content-type': 'application/json', 'x-harness-token': inspector.token }, JSON.stringify({ at, runId: 'pg-fork' }));
    expect(reply.status).toBe(202);
    await vi.waitFor(async () => expect((await store.read('pg-fork')).status).toBe('waiting'), { timeout: 10_000 });
    expect(sim.stats().requests - before).toBe(1);
  });

  it('tells an SSE client about changes made by another session: a new run, an event delivered, a cancel', async () => {
    const { store, schema } = stored();
    await runWorkflow({ store, workflow, modulePath, input: { topic: 'tide' }, runId: 'pg-approve', limiter: null });
    inspector = await startInspector({ store, pollMs: 100 });
    const { store: other } = stored(schema); // a second pool on the same tables: another process

    const created = nextChange(inspector.url, 'pg-new');
    await created.ready;
    await runWorkflow({ store: other, workflow, modulePath, input: { topic: 'reef' }, runId: 'pg-new', limiter: null });
    expect(await created.changed).toEqual({ runId: 'pg-new' });

    const approved = nextChange(inspector.url, 'pg-approve');
    await approved.ready;
    expect((await sendToRun({ store: other, runId: 'pg-approve', event: { type: 'APPROVE' }, limiter: null })).status).toBe('done');
    expect(await approved.changed).toEqual({ runId: 'pg-approve' });

    const cancelled = nextChange(inspector.url, 'pg-new');
    await cancelled.ready;
    await cancelRun(other, 'pg-new');
    expect(await cancelled.changed).toEqual({ runId: 'pg-new' });
    const { runs } = (await call(inspector.url, 'GET', '/api/runs')).json() as { runs: RunSummary[] };
    expect(Object.fromEntries(runs.map((r) => [r.runId, r.status]))).toEqual({ 'pg-approve': 'done', 'pg-new': 'cancelled' });
  });

  it('is served by `harness inspect --store postgres://…?schema=…`, and ends its pool when stopped', async () => {
    const { store, schema } = stored();
    await runWorkflow({ store, workflow, modulePath, input: { topic: 'dune' }, runId: 'pg-cli', limiter: null });
    const io = memoryIO();
    const stop = new AbortController();
    const served = serveInspector(['--port', '0', '--store', `${localPostgresUrl}?schema=${schema}`], io, stop.signal);
    await vi.waitFor(() => expect(io.out()).toContain('?token='), { timeout: 10_000 });
    expect(io.out()).toContain(`Inspector for runs in ${store.location}`);
    const pageUrl = /Open (\S+)/.exec(io.out())?.[1] ?? '';
    const listed = (await (await fetch(new URL('/api/runs', pageUrl))).json()) as { runs: RunSummary[] };
    expect(listed.runs.map((r) => r.runId)).toEqual(['pg-cli']);
    stop.abort();
    expect(await served).toBe(0);
  });
});

function memoryIO(): CliIO & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  return { stdout, stderr: new PassThrough(), env: {}, cwd: process.cwd(), out: () => out };
}
