// The relay between a run and stately.ai/inspect: a loopback HTTP page embedding the inspector, and a WebSocket
// that passes inspection events from the run to the page. Browsers may connect only from that page or stately.ai.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { allowedHosts, refuseHost } from './security.ts';

/** The inspector the relay page embeds, and an origin allowed to connect to the relay itself (its `?server=` mode). */
export const statelyInspectorUrl = 'https://stately.ai/inspect';

export interface StatelyRelayOptions {
  /** Default 127.0.0.1: only this machine can reach the relay. */
  host?: string;
  /** Default 8080 (the Stately tools' default); 0 picks a free port. */
  port?: number;
  /** Origins allowed besides the relay's own page and https://stately.ai (exact `scheme://host[:port]`). */
  allowedOrigins?: readonly string[];
}

export interface StatelyRelay {
  host: string;
  port: number;
  /** The relay's page, `http://localhost:<port>` on loopback. */
  pageUrl: string;
  /** Where the run's inspector connects, `ws://127.0.0.1:<port>` on loopback. */
  wsUrl: string;
  /** Origins a browser's WebSocket may come from. */
  origins: ReadonlySet<string>;
  close(): Promise<void>;
}

const wildcard = new Set(['', '0.0.0.0', '::', '[::]']);
const loopbackNames = ['localhost', '127.0.0.1', '[::1]'];
const bracket = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
/**
 * What the relay keeps for a page opened late (after the run ended, or while it waits): the whole run, so the page
 * can draw it from its first event, up to this many bytes; past it the oldest events go.
 */
const maxBufferedBytes = 64 * 1024 * 1024;

/** The origins of the relay's own page, under every name it can be opened by, plus stately.ai and any extra. */
export function relayOrigins(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>();
  if (wildcard.has(host)) {
    for (const name of loopbackNames) names.add(name);
    for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) names.add(bracket(a.address));
  } else if (['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    for (const name of loopbackNames) names.add(name);
  } else {
    names.add(bracket(host));
  }
  const origins = new Set([...names].map((name) => `http://${name}:${port}`));
  if (port === 80) for (const name of names) origins.add(`http://${name}`);
  origins.add(new URL(statelyInspectorUrl).origin);
  for (const origin of extra) origins.add(origin.replace(/\/+$/, '').toLowerCase());
  return origins;
}

/**
 * Why a WebSocket upgrade is refused, or null. A browser always sends Origin: only the relay's page and stately.ai
 * may read a run's events. A client without Origin is a program on a machine that can reach the (loopback) port.
 */
export function refuseOrigin(req: IncomingMessage, origins: ReadonlySet<string>): string | null {
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  return origins.has(origin.toLowerCase()) ? null : `WebSocket from origin ${origin} refused`;
}

/** How long the page waits for the embedded inspector to answer before saying it needs internet access. */
const offlineAfterMs = 15_000;

/** The page: stately.ai/inspect in a frame, fed over the relay's WebSocket on the host the page came from. */
function pageHtml(inspectorUrl: string): string {
  const origin = new URL(inspectorUrl).origin;
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>Stately Inspector</title>
  <style>* { margin: 0; padding: 0; } html, body { height: 100%; } iframe { width: 100%; height: 100%; border: none; }
    #offline { max-width: 42rem; margin: 3rem auto; font: 16px/1.5 system-ui, sans-serif; } #offline p { margin-top: 1rem; }</style>
</head>
<body>
  <div id="offline" hidden>
    <h1>The Stately inspector needs internet access</h1>
    <p>This page embeds <code>${inspectorUrl}</code>, which did not load: this browser seems to be offline (or the site
    is out of reach). The run itself needs no internet, and its events are kept here until the inspector loads.</p>
    <p>Offline, use the local inspector instead: run <code>harness inspect</code> and open the URL it prints
    (statecharts, timeline, model calls; no internet needed).</p>
  </div>
  <iframe id="inspector" src="${inspectorUrl}"></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    const inspectorOrigin = ${JSON.stringify(origin)};
    const buffer = [];
    let connected = false;
    // Offline the frame stays blank with no word why: say it, and where to look instead.
    const offline = () => {
      if (connected) return;
      document.getElementById('offline').hidden = false;
      iframe.hidden = true;
    };
    if (!navigator.onLine) offline();
    window.addEventListener('offline', offline);
    setTimeout(offline, ${offlineAfterMs});
    window.addEventListener('message', (e) => {
      if (e.origin !== inspectorOrigin || !e.data || e.data.type !== '@statelyai.connected') return;
      connected = true;
      document.getElementById('offline').hidden = true;
      iframe.hidden = false;
      for (const event of buffer) iframe.contentWindow.postMessage(event, inspectorOrigin);
      buffer.length = 0;
    });
    const ws = new WebSocket('ws://' + location.host);
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (connected) iframe.contentWindow.postMessage(data, inspectorOrigin);
      else buffer.push(data);
    };
  </script>
</body>
</html>`;
}

const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Bad Request'}\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\n${reason}\n`);
}

/**
 * Starts the relay: what one client sends, every other client receives (what was sent before is replayed to a
 * newcomer, so a page opened late still sees the run from its start).
 */
export async function startStatelyRelay(options: StatelyRelayOptions = {}): Promise<StatelyRelay> {
  const host = options.host ?? '127.0.0.1';
  let hosts: Set<string> | null = null;
  let origins: Set<string> = new Set();
  const html = pageHtml(statelyInspectorUrl);

  const server: Server = createServer((req, res) => {
    const problem = refuseHost(req, hosts);
    if (problem || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(problem ? 403 : 405, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(`${problem ?? `${req.method} not allowed`}\n`);
    }
    res.writeHead(200, pageHeaders);
    res.end(req.method === 'HEAD' ? undefined : html);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const buffered: string[] = [];
  let bufferedBytes = 0;
  wss.on('connection', (socket) => {
    for (const message of buffered) socket.send(message);
    socket.on('message', (data) => {
      const message = String(data);
      buffered.push(message);
      bufferedBytes += message.length;
      while (bufferedBytes > maxBufferedBytes && buffered.length > 1) bufferedBytes -= buffered.shift()?.length ?? 0;
      for (const client of wss.clients) if (client !== socket && client.readyState === WebSocket.OPEN) client.send(message);
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const problem = refuseOrigin(req, origins) ?? refuseHost(req, hosts);
    if (problem) return refuseUpgrade(socket, 403, problem);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port);
  origins = relayOrigins(host, port, options.allowedOrigins);
  const loopback = wildcard.has(host) || ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
  const pageHost = loopback ? 'localhost' : bracket(host);
  let wsHost = bracket(host);
  if (wildcard.has(host)) wsHost = '127.0.0.1';

  return {
    host,
    port,
    pageUrl: `http://${pageHost}:${port}`,
    wsUrl: `ws://${wsHost}:${port}`,
    origins,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
