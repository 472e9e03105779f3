import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startStatelyBridge, InspectorUnavailableError } from '../../src/inspect/stately.ts';
import { relayOrigins, startStatelyRelay, type StatelyRelay } from '../../src/inspect/stately-relay.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { FileStore } from '../../src/store/index.ts';
import { oneStepWorkflow } from '../steps/fixtures.ts';
import { fixture, harness, tempDir } from '../cli/harness.ts';
import { eventually, useSimulators } from '../helpers/simulators.ts';

interface Received {
  type: string;
  sessionId?: string;
  event?: { type: string };
  snapshot?: { value?: unknown };
}

const simulator = useSimulators();
let receiver: WebSocketServer | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  receiver = undefined;
});

/** Starts this test's relay stand-in on a free port; every message it reads is parsed into `received`. */
async function startReceiver(): Promise<{ port: number; received: Received[] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  receiver = server;
  await new Promise((resolve) => server.once('listening', resolve));
  const received: Received[] = [];
  server.on('connection', (socket) => socket.on('message', (data) => received.push(JSON.parse(String(data)) as Received)));
  const { port } = server.address() as { port: number };
  return { port, received };
}

const doneSnapshot = (e: Received) => e.type === '@xstate.snapshot' && JSON.stringify(e.snapshot?.value) === '"done"';

describe('Stately inspector bridge', () => {
  it('sends the run’s actor, event and snapshot inspection events over the WebSocket', async () => {
    const sim = await simulator({ seed: 5 });
    const { port, received } = await startReceiver();

    const bridge = await startStatelyBridge({ url: `ws://127.0.0.1:${port}` });
    const store = new FileStore({ dir: mkdtempSync(join(tmpdir(), 'harness-stately-')) });
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 2000 } });
    const record = await runWorkflow({ store, workflow, modulePath: '/fixture.ts', input: { question: 'q' }, limiter: null, inspect: bridge.inspect });
    await bridge.close();
    await eventually(() => received.some(doneSnapshot)); // let the receiver read what was flushed

    expect(record.status).toBe('done');
    const types = new Set(received.map((e) => e.type));
    expect(types).toEqual(new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']));
    expect(received.some((e) => e.type === '@xstate.event' && e.event?.type === 'xstate.init')).toBe(true);
    const values = received.filter((e) => e.type === '@xstate.snapshot').map((e) => JSON.stringify(e.snapshot?.value));
    // The root's snapshots, and those of the model step's own machine, which it invokes while asking.
    expect(values).toContain(JSON.stringify('asking'));
    expect(values).toContain(JSON.stringify('attempting'));
    expect(values).toContain(JSON.stringify('done'));
    expect(new Set(received.filter((e) => e.type === '@xstate.actor').map((e) => e.sessionId)).size).toBeGreaterThanOrEqual(2);
  });

  it('refuses an unreachable relay with a clear error instead of retrying forever', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(startStatelyBridge({ url: `ws://127.0.0.1:${port}`, connectTimeoutMs: 1000 })).rejects.toBeInstanceOf(InspectorUnavailableError);
  });

  it('`harness run --inspect-url` sends the events that leave the process to the relay', { timeout: 60_000 }, async () => {
    const sim = await simulator({ seed: 6 });
    const { port, received } = await startReceiver();

    const env = { ollamaHost: sim.url, snapshots: tempDir() };
    const result = await harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}', '--inspect-url', `ws://127.0.0.1:${port}`], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Stately inspector: sending to the relay at ws://127.0.0.1:${port}`);
    await eventually(() => received.some(doneSnapshot));
    expect(received.some((e) => e.type === '@xstate.actor')).toBe(true);
    expect(received.some((e) => e.type === '@xstate.snapshot' && JSON.stringify(e.snapshot?.value) === '"done"')).toBe(true);
  });

  it('`harness run --inspect-url` to nothing is a usage error (exit 2) and starts no run', { timeout: 60_000 }, async () => {
    const sim = await simulator({ seed: 6 });
    const env = { ollamaHost: sim.url, snapshots: tempDir() };
    const result = await harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}', '--inspect-url', 'ws://127.0.0.1:9'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^harness: cannot reach the inspector relay at ws:\/\/127\.0\.0\.1:9/m);
    expect(sim.stats().requests).toBe(0);
  });
});

/** Opens a WebSocket as a browser would (with an Origin), and collects what it receives; rejects if refused. */
function connect(url: string, origin?: string): Promise<{ socket: WebSocket; received: Received[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, origin ? { origin } : {});
    const received: Received[] = [];
    socket.on('message', (data) => received.push(JSON.parse(String(data)) as Received));
    socket.once('open', () => resolve({ socket, received }));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** An IPv4 address of this machine that is not loopback, or undefined. */
function nonLoopbackAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('127.')) return a.address;
  }
  return undefined;
}

describe('the relay started by --inspect', () => {
  const relays: StatelyRelay[] = [];
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });

  it('gives a run’s events to its own page and to stately.ai, and refuses a WebSocket from any other origin', async () => {
    const sim = await simulator({ seed: 5 });
    const bridge = await startStatelyBridge({ port: 0 });
    const relay = bridge.relay as StatelyRelay;
    expect(relay.host).toBe('127.0.0.1');
    expect(bridge.viewerUrl).toBe(`http://localhost:${relay.port}`);
    const wsUrl = `ws://127.0.0.1:${relay.port}`;

    await expect(connect(wsUrl, 'http://evil.example')).rejects.toThrow('refused with HTTP 403');
    await expect(connect(wsUrl, `http://evil.example:${relay.port}`)).rejects.toThrow('refused with HTTP 403');
    await expect(connect(wsUrl, 'https://stately.ai.evil.example')).rejects.toThrow('refused with HTTP 403');
    await expect(connect(wsUrl, 'null')).rejects.toThrow('refused with HTTP 403');
    const page = await connect(`ws://localhost:${relay.port}`, `http://localhost:${relay.port}`);
    const stately = await connect(wsUrl, 'https://stately.ai');

    const store = new FileStore({ dir: mkdtempSync(join(tmpdir(), 'harness-stately-relay-')) });
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 2000 } });
    const record = await runWorkflow({ store, workflow, modulePath: '/fixture.ts', input: { question: 'q' }, limiter: null, inspect: bridge.inspect });
    expect(record.status).toBe('done');
    await eventually(() => page.received.some(doneSnapshot) && stately.received.some(doneSnapshot));

    // A foreign page that connects once the run is over is refused too: the relay's replay buffer is not for it.
    await expect(connect(wsUrl, 'http://evil.example')).rejects.toThrow('refused with HTTP 403');
    page.socket.close();
    stately.socket.close();
    await bridge.close();
  });

  it('serves its page only under its own host names, and the page connects back to the host it came from', async () => {
    const relay = await startStatelyRelay({ port: 0 });
    relays.push(relay);
    const page = await fetch(`http://127.0.0.1:${relay.port}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<iframe id="inspector" src="https://stately.ai/inspect">');
    expect(html).toContain("new WebSocket('ws://' + location.host)");
    expect(html).not.toContain("postMessage(data, '*')"); // events go to the stately.ai frame only
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: relay.port, path: '/', headers: { host: `evil.example:${relay.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(403);
  });

  it('binds loopback only: it cannot be reached on this machine’s network address', async (context) => {
    const address = nonLoopbackAddress();
    if (!address) {
      console.warn('SKIPPING the non-loopback reachability check: this machine has no non-loopback IPv4 address');
      context.skip();
      return;
    }
    const relay = await startStatelyRelay({ port: 0 });
    relays.push(relay);
    await expect(connect(`ws://${address}:${relay.port}`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(connect(`ws://127.0.0.1:${relay.port}`)).resolves.toMatchObject({ received: [] });
  });

  it('allows an origin it is told to, and binds another address only when told to', async () => {
    const relay = await startStatelyRelay({ port: 0, allowedOrigins: ['http://my-tool.local:3000'] });
    relays.push(relay);
    const ok = await connect(`ws://127.0.0.1:${relay.port}`, 'http://my-tool.local:3000');
    ok.socket.close();
    expect(relayOrigins('127.0.0.1', 8080)).toEqual(new Set(['http://localhost:8080', 'http://127.0.0.1:8080', 'http://[::1]:8080', 'https://stately.ai']));
  });
});
