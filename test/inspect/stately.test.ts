import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { startStatelyBridge, InspectorUnavailableError } from '../../src/inspect/stately.ts';
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
    const record = await runWorkflow({ store, workflow, modulePath: '/fixture.ts', input: { question: 'q' }, pool: null, inspect: bridge.inspect });
    await bridge.close();
    await eventually(() => received.some(doneSnapshot)); // let the receiver read what was flushed

    expect(record.status).toBe('done');
    const types = new Set(received.map((e) => e.type));
    expect(types).toEqual(new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']));
    expect(received.some((e) => e.type === '@xstate.event' && e.event?.type === 'xstate.init')).toBe(true);
    const values = received.filter((e) => e.type === '@xstate.snapshot').map((e) => JSON.stringify(e.snapshot?.value));
    expect(values).toContain(JSON.stringify({ asking: 'attempting' }));
    expect(values).toContain(JSON.stringify('done'));
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
