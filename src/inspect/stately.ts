// The bridge to Stately's inspector: a run's inspection events go out over a WebSocket that stately.ai/inspect reads.
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import type { InspectionEvent } from 'xstate';
import WebSocket from 'ws';

export interface StatelyBridgeOptions {
  /** A relay already running (`ws://host:port`); without it a relay is started here on `port`. */
  url?: string;
  /** Port of the relay started here. Default 8080 (the Stately tools' default). */
  port?: number;
  /** How long to wait for the relay to answer. Default 3000 ms. */
  connectTimeoutMs?: number;
}

export interface StatelyBridge {
  inspect: (event: InspectionEvent) => void;
  /** The page to open in a browser (it embeds stately.ai/inspect, so it needs internet access). */
  viewerUrl: string | null;
  /** Flushes what was sent and closes the connection (and the relay, if started here). */
  close(): Promise<void>;
}

export class InspectorUnavailableError extends Error {
  override name = 'InspectorUnavailableError';
  readonly exitCode = 2;
}

/** Resolves once a plain WebSocket reaches `url`, so a wrong URL is one clear error instead of endless retries. */
function probe(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new InspectorUnavailableError(`no inspector relay answered at ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('open', () => {
      clearTimeout(timer);
      socket.close();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new InspectorUnavailableError(`cannot reach the inspector relay at ${url}: ${error.message}`));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startStatelyBridge(options: StatelyBridgeOptions = {}): Promise<StatelyBridge> {
  const timeoutMs = options.connectTimeoutMs ?? 3000;
  const port = options.port ?? 8080;
  const relay = options.url ? null : createInspectorServer({ port, autoOpen: false });
  const url = options.url ?? `ws://127.0.0.1:${port}`;
  try {
    await probe(url, timeoutMs);
  } catch (error) {
    relay?.stop();
    throw error;
  }
  const inspector = createWebSocketInspector({ url });
  const adapter = inspector.adapter as unknown as { status: string; ws?: WebSocket };
  // The adapter queues events until its socket opens; wait for it so the run's first events are not dropped.
  for (let waited = 0; adapter.status !== 'open' && waited < timeoutMs; waited += 20) await sleep(20);

  return {
    inspect: (event) => inspector.inspect.next?.(event),
    viewerUrl: relay ? `http://localhost:${port}` : null,
    close: async () => {
      for (let waited = 0; (adapter.ws?.bufferedAmount ?? 0) > 0 && waited < timeoutMs; waited += 20) await sleep(20);
      inspector.stop();
      relay?.stop();
    },
  };
}
