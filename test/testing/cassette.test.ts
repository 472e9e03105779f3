// Cassettes end to end: record a real workflow through the recorder, replay it with the upstream gone, and explain misses.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import extract, { type Invoice } from '../../machines/extract.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { readCassette, startRecorder, startSimulator, type Recorder, type SimRequest, type Simulator } from '../../src/testing/index.ts';

const modulePath = join(import.meta.dirname, '../../machines/extract.ts');
const input = JSON.parse(readFileSync(join(import.meta.dirname, '../../machines/samples/invoice-input.json'), 'utf8')) as { text: string };
const invoice: Invoice = {
  invoiceNumber: 'NW-2024-0117',
  issueDate: '2024-03-14',
  currency: 'EUR',
  seller: { name: 'Lena Brandt', company: 'Northwind Design Studio', email: 'lena@northwind-studio.example' },
  buyer: { name: 'Dana Whitfield', company: 'Orbital Freight GmbH', email: 'dana.whitfield@orbital-freight.example' },
  lineItems: [
    { description: 'Logo redesign (fixed fee)', quantity: 1, unitPrice: 1200, amount: 1200 },
    { description: 'Brand guidelines, pages', quantity: 12, unitPrice: 45, amount: 540 },
    { description: 'Revision rounds', quantity: 3, unitPrice: 80, amount: 240 },
  ],
  tax: 376.2,
  total: 2356.2,
};
const isRetry = (req: SimRequest) => req.messages.at(-1)?.content.startsWith('Your previous reply could not be used') === true;
/** First reply wrong (subtotal as total), the retry right: two exchanges, the second depending on the first. */
const extractScript = (req: SimRequest) => JSON.stringify(isRetry(req) ? invoice : { ...invoice, total: 1980 });

let dir = '';
const savedHost = process.env.OLLAMA_HOST;
const open: { close(): Promise<void> }[] = [];
const track = <T extends { close(): Promise<void> }>(server: T): T => {
  open.push(server);
  return server;
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'harness-cassette-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  if (savedHost === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = savedHost;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withAuth = (url: string, user: string, password: string) => url.replace('http://', `http://${user}:${password}@`);

async function recordExtract(file: string): Promise<{ output: unknown; status: string }> {
  const upstream = track(await startSimulator({ seed: 11, script: { '*': extractScript } }));
  const recorder = track(await startRecorder({ upstream: withAuth(upstream.url, 'bob', 'upstream-secret'), to: file }));
  // The client authenticates to the recorder too: that header must not be saved either.
  process.env.OLLAMA_HOST = withAuth(recorder.url, 'alice', 'client-secret');
  const record = await runWorkflow({ store: new MemoryStore(), workflow: extract, modulePath, input });
  await recorder.close();
  await upstream.close();
  return { output: record.output, status: record.status };
}

describe('cassettes: record once, replay in tests', () => {
  it('replays a recorded workflow run with the upstream closed: identical output, every exchange used', async () => {
    const file = join(dir, 'extract.ndjson');
    const recorded = await recordExtract(file);
    expect(recorded.status).toBe('done');
    const entries = await readCassette(file);
    // The model's window is asked once (show and ps, at the same time), then the two calls are made.
    expect(entries.map((e) => `${e.request.method} ${e.request.path} ${e.reply.status}`).sort()).toEqual(['GET /api/ps 200', 'POST /api/chat 200', 'POST /api/chat 200', 'POST /api/show 200']);
    expect(entries.find((e) => e.request.path === '/api/chat')?.reply.headers['content-type']).toBe('application/x-ndjson');

    const sim = track(await startSimulator({ cassette: file }));
    process.env.OLLAMA_HOST = sim.url;
    const replayed = await runWorkflow({ store: new MemoryStore(), workflow: extract, modulePath, input });
    expect({ output: replayed.output, status: replayed.status }).toEqual(recorded);
    expect(sim.stats().cassette).toEqual({ entries: 4, replayed: 4, repeated: 0, misses: 0, unused: 0 });
    expect(() => sim.cassette?.assertAllUsed()).not.toThrow();
  });

  it('never writes credentials into the cassette', async () => {
    const file = join(dir, 'secrets.ndjson');
    await recordExtract(file);
    const text = readFileSync(file, 'utf8');
    for (const secret of ['upstream-secret', 'client-secret', 'bob:', 'alice:', /authorization/i]) expect(text).not.toMatch(secret);
    for (const pair of ['bob:upstream-secret', 'alice:client-secret']) expect(text).not.toContain(Buffer.from(pair).toString('base64'));
  });

  it('answers an unknown request with a 500 naming the nearest recorded one and the differing JSON paths', async () => {
    const file = join(dir, 'miss.ndjson');
    await recordExtract(file);
    const entries = await readCassette(file);
    const first = entries.find((e) => e.request.path === '/api/chat');
    const chatIndex = entries.indexOf(first ?? entries[0]!);
    const body = structuredClone(first?.request.json) as { messages: { content: string }[]; options: Record<string, unknown> };
    body.messages[1]!.content = body.messages[1]!.content.replace('NW-2024-0117', 'NW-2024-9999');
    body.options.temperature = 0.7;
    const sim = track(await startSimulator({ cassette: file }));
    const reply = await fetch(`${sim.url}/api/chat`, { method: 'POST', body: JSON.stringify(body) });
    expect(reply.status).toBe(500);
    const { error } = (await reply.json()) as { error: string };
    expect(error).toMatch(new RegExp(`^cassette miss: no recorded POST /api/chat with this body; nearest recorded is #${chatIndex} \\(POST /api/chat\\), which differs at `));
    expect(error).toContain('messages[1].content (recorded …');
    expect(error).toContain('No. NW-2024-0117');
    expect(error).toContain('got …"NVOICE  No. NW-2024-9999');
    expect(error).toContain('options.temperature (recorded 0, got 0.7)');
    expect(sim.stats().cassette?.misses).toBe(1);
    expect(sim.cassette?.misses()).toEqual([
      { method: 'POST', path: '/api/chat', message: error, nearest: chatIndex, differences: ['messages[1].content', 'options.temperature'] },
    ]);
    expect(() => sim.cassette?.assertAllUsed()).toThrow(new RegExp(`4 unused, 1 missed[\\s\\S]*#${chatIndex} POST /api/chat was never replayed`));
    // Another endpoint entirely: still loud, still pointing at the closest recording.
    const other = await fetch(`${sim.url}/api/tags`);
    expect(other.status).toBe(500);
    expect(((await other.json()) as { error: string }).error).toMatch(/no recorded GET \/api\/tags.*nearest recorded is #\d/);
  });
});

async function streamChat(url: string, content: string): Promise<{ lines: string[]; firstMs: number; totalMs: number }> {
  const started = performance.now();
  const reply = await fetch(`${url}/api/chat`, {
    method: 'POST',
    body: JSON.stringify({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content }], stream: true, keep_alive: '5m' }),
  });
  const reader = reply.body!.getReader();
  const chunks: string[] = [];
  let firstMs = -1;
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (firstMs < 0) firstMs = performance.now() - started;
    chunks.push(decoder.decode(value, { stream: true }));
  }
  return { lines: chunks.join('').split('\n').filter(Boolean), firstMs, totalMs: performance.now() - started };
}

const contents = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { message: { content: string } }).message.content);

describe('cassette streaming', () => {
  let recorder: Recorder;
  let upstream: Simulator;
  const file = () => join(dir, 'stream.ndjson');

  it('passes a stream through as it arrives, and replays its lines in order (and at their recorded pace)', async () => {
    upstream = track(await startSimulator({ replyTokens: 8, latency: { perTokenMs: 40 } }));
    recorder = track(await startRecorder({ upstream: upstream.url, to: file() }));
    const live = await streamChat(recorder.url, 'stream please');
    // Time to first token survives the proxy: the first chunk comes long before the last.
    expect(live.firstMs).toBeLessThan(live.totalMs - 100);
    await recorder.close();
    await upstream.close();

    const [entry] = await readCassette(file());
    const times = entry!.reply.lines!.map((l) => l.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(100);

    const fast = track(await startSimulator({ cassette: file() }));
    const replayed = await streamChat(fast.url, 'stream please');
    expect(replayed.lines).toEqual(live.lines);
    expect(contents(replayed.lines).join('')).toBe(contents(live.lines).join(''));
    expect(replayed.totalMs).toBeLessThan(times.at(-1)! / 2);

    const paced = track(await startSimulator({ cassette: { from: file(), timing: 'recorded' } }));
    const again = await streamChat(paced.url, 'stream please');
    expect(again.lines).toEqual(live.lines);
    expect(again.totalMs).toBeGreaterThan(times.at(-1)! - 20);
  });
});

describe('cassette matching', () => {
  async function recordTwice(file: string) {
    const sim = track(await startSimulator({ script: { '*': (req) => `answer ${req.attempt}` } }));
    const recorder = track(await startRecorder({ upstream: sim.url, to: file }));
    const ask = (body: object) => fetch(`${recorder.url}/api/chat`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    const question = { model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'same' }], stream: false };
    await ask(question);
    await ask(question);
    await recorder.close();
    return question;
  }
  const answer = (r: Response) => r.json().then((j: { message: { content: string } }) => j.message.content);

  it('replays repeated requests in recorded order, then the last again; key order and keep_alive do not matter', async () => {
    const file = join(dir, 'twice.ndjson');
    await recordTwice(file);
    const sim = track(await startSimulator({ cassette: file }));
    // Same request, keys reordered, with keep_alive and placement options added: still the same identity.
    const body = JSON.stringify({ stream: false, keep_alive: -1, messages: [{ content: 'same', role: 'user' }], model: 'qwen2.5-coder:7b', options: { num_thread: 4 } });
    const post = () => fetch(`${sim.url}/api/chat`, { method: 'POST', body });
    expect(await answer(await post())).toBe('answer 1');
    expect(await answer(await post())).toBe('answer 2');
    expect(await answer(await post())).toBe('answer 2');
    expect(sim.stats().cassette).toMatchObject({ replayed: 3, repeated: 1, misses: 0, unused: 0 });
    // `stream` changes the reply's shape: it is part of the identity.
    const streamed = await fetch(`${sim.url}/api/chat`, { method: 'POST', body: body.replace('"stream":false', '"stream":true') });
    expect(streamed.status).toBe(500);
    expect(await streamed.text()).toContain('stream (recorded false, got true)');
  });

  it("with exhausted: 'fail', a request beyond its recorded occurrences is a miss", async () => {
    const file = join(dir, 'strict.ndjson');
    const question = await recordTwice(file);
    const sim = track(await startSimulator({ cassette: { from: file, exhausted: 'fail' } }));
    const post = () => fetch(`${sim.url}/api/chat`, { method: 'POST', body: JSON.stringify(question) });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const third = await post();
    expect(third.status).toBe(500);
    expect(await third.json()).toEqual({ error: 'cassette miss: POST /api/chat was recorded 2 time(s) and this is call 3' });
  });

  it('records any endpoint and error replies; an unreachable upstream is a 502 and is not recorded', async () => {
    const file = join(dir, 'misc.ndjson');
    const sim = track(await startSimulator());
    const recorder = track(await startRecorder({ upstream: sim.url, to: file }));
    const version = await (await fetch(`${recorder.url}/api/version`)).text();
    const missing = await fetch(`${recorder.url}/api/chat`, { method: 'POST', body: '{"model":"nope","messages":[]}' });
    expect(missing.status).toBe(404);
    await sim.close();
    const down = await fetch(`${recorder.url}/api/tags`);
    expect(down.status).toBe(502);
    expect(((await down.json()) as { error: string }).error).toMatch(/^harness record: upstream http:\/\/127\.0\.0\.1:\d+ failed/);
    await recorder.close();
    expect(recorder.count()).toBe(2);

    const replay = track(await startSimulator({ cassette: file }));
    expect(await (await fetch(`${replay.url}/api/version`)).text()).toBe(version);
    const again = await fetch(`${replay.url}/api/chat`, { method: 'POST', body: '{"messages":[],"model":"nope"}' });
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await again.json()).toEqual({ error: "model 'nope' not found" });
    // Control endpoints still answer, and reset starts the cassette over.
    expect(((await (await fetch(`${replay.url}/_simulator/stats`)).json()) as { cassette: { replayed: number } }).cassette.replayed).toBe(2);
    replay.reset();
    expect(replay.stats().cassette).toMatchObject({ replayed: 0, unused: 2 });
  });

  it('refuses a malformed cassette file with its line number', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'bad.ndjson');
    writeFileSync(file, '{"request":{"method":"GET","path":"/"},"reply":{"status":200,"headers":{},"headersAt":0,"endAt":0},"recordedAt":"x"}\n{oops\n');
    await expect(startSimulator({ cassette: file })).rejects.toThrow(new RangeError(`${file}:2: not JSON`));
    await expect(startSimulator({ cassette: join(dir, 'absent.ndjson') })).rejects.toThrow(/cannot read cassette/);
  });
});
