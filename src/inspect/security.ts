// Who may talk to the inspector: the Host it answers to, the token a write needs, and the origins a write may come from.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header that carries the token printed at start (the page reads it from its own URL, `?token=`). */
export const tokenHeader = 'x-harness-token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function tokenMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

const wildcard = new Set(['', '0.0.0.0', '::', '[::]']);
const loopbackNames = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const hostPart = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/**
 * `Host` header values the server answers to, or null when bound to every interface (any name may reach it then).
 * Checking Host keeps a web page that rebinds its own DNS name to 127.0.0.1 from reading runs.
 */
export function allowedHosts(bindHost: string, port: number): Set<string> | null {
  if (wildcard.has(bindHost)) return null;
  const names = loopbackNames.has(bindHost) ? [hostPart(bindHost), 'localhost', '127.0.0.1', '[::1]'] : [hostPart(bindHost)];
  const hosts = new Set(names.map((n) => `${n}:${port}`));
  if (port === 80) for (const n of names) hosts.add(n);
  return hosts;
}

/** Why a request must not be served at all (a Host this server is not), or null. */
export function refuseHost(req: IncomingMessage, hosts: Set<string> | null): string | null {
  if (hosts === null) return null;
  const host = req.headers.host?.toLowerCase();
  return host && hosts.has(host) ? null : `unexpected Host header ${JSON.stringify(req.headers.host ?? '')}`;
}

/** Why a write (POST) is refused, or null: it must carry the token and come from the inspector's own page. */
export function refuseWrite(req: IncomingMessage, token: string): string | null {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return `cross-origin request from ${origin} refused`;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request (${String(site)}) refused`;
  if (!tokenMatches(token, req.headers[tokenHeader])) return `missing or wrong ${tokenHeader} header (use the token printed at start)`;
  return null;
}
