// The bridge to Stately's inspector: a run's inspection events go out over a WebSocket that stately.ai/inspect reads.
// The relay started here binds loopback and refuses browsers from other origins (see stately-relay.ts).
import { createWebSocketInspector } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import WebSocket from 'ws';
import { HarnessError } from '../errors.ts';
import { startStatelyRelay, type StatelyRelay } from './stately-relay.ts';

export interface StatelyBridgeOptions {
  /** A relay already running (`ws://host:port`); without it a relay is started here on `port`. */
  url?: string;
  /** Port of the relay started here. Default 8080 (the Stately tools' default). */
  port?: number;
  /** Address the relay started here binds. Default 127.0.0.1: nobody else on the network can read the run. */
  host?: string;
  /** Origins allowed to open the relay's WebSocket besides its own page and https://stately.ai. */
  allowedOrigins?: readonly string[];
  /** How long to wait for the relay to answer. Default 3000 ms. */
  connectTimeoutMs?: number;
}

export interface StatelyBridge {
  inspect: (event: InspectionEvent) => void;
  /** The page to open in a browser (it embeds stately.ai/inspect, so it needs internet access). */
  viewerUrl: string | null;
  /** The relay started here (null when sending to one given by `url`). */
  relay: StatelyRelay | null;
  /** Flushes what was sent and closes the run's connection; a relay started here stays up (its page may be open). */
  detach(): Promise<void>;
  /** Detaches, and closes the relay if started here. */
  close(): Promise<void>;
}

/** The relay cannot be reached or started: a bad `--inspect-url`/`--inspect-port`, so a usage error (exit 2). */
export class InspectorUnavailableError extends HarnessError {
  override name = 'InspectorUnavailableError';
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
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
  let relay: StatelyRelay | null = null;
  if (!options.url) {
    try {
      relay = await startStatelyRelay({
        port: options.port ?? 8080,
        ...(options.host !== undefined ? { host: options.host } : {}),
        ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InspectorUnavailableError(`cannot start the inspector relay: ${reason}`);
    }
  }
  const url = options.url ?? (relay as StatelyRelay).wsUrl;
  try {
    await probe(url, timeoutMs);
  } catch (error) {
    await relay?.close();
    throw error;
  }
  const inspector = createWebSocketInspector({ url });
  const adapter: unknown = inspector.adapter;
  // The adapter queues events until its socket opens; wait for it so the run's first events are not dropped.
  for (let waited = 0; adapterStatus(adapter) !== 'open' && waited < timeoutMs; waited += 20) await sleep(20);

  let detached: Promise<void> | null = null;
  const detach = () =>
    (detached ??= (async () => {
      // The inspector hands each event to its socket in a timer of its own (setTimeout 0 outside a browser): a timer
      // set after the run's last event fires after theirs, so by then every event is in the socket's buffer.
      await new Promise((resolve) => setTimeout(resolve, 0));
      for (let waited = 0; adapterBuffered(adapter) > 0 && waited < timeoutMs; waited += 20) await sleep(20);
      inspector.stop();
    })());
  return {
    inspect: (event) => inspector.inspect.next?.(event),
    viewerUrl: relay ? relay.pageUrl : null,
    relay,
    detach,
    close: async () => {
      await detach();
      await relay?.close();
    },
  };
}

/** The WebSocket adapter's state, which @statelyai/inspect does not type: read defensively, never assumed. */
function adapterStatus(adapter: unknown): string | undefined {
  return typeof adapter === 'object' && adapter !== null && 'status' in adapter && typeof adapter.status === 'string' ? adapter.status : undefined;
}

/** Bytes its socket has yet to send, so closing waits for the last events. */
function adapterBuffered(adapter: unknown): number {
  if (typeof adapter !== 'object' || adapter === null || !('ws' in adapter)) return 0;
  const ws: unknown = adapter.ws;
  return typeof ws === 'object' && ws !== null && 'bufferedAmount' in ws && typeof ws.bufferedAmount === 'number' ? ws.bufferedAmount : 0;
}
