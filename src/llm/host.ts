// Where Ollama lives: OLLAMA_HOST (or an explicit host) read with the rules of Ollama's own envconfig.Host.
import { scrubUrl, withoutCredentials } from '../util/secrets.ts';
import { ConfigError } from './errors.ts';

/** Every call reads its host: a process talks to a handful, so what they read as is kept (bounded for odd callers). */
const hostsKept = 256;

/**
 * The host as it may be stored or shown: any `user:password@` removed, whatever characters the password holds. Works
 * on resolved URLs and on raw, unparsable input alike, because an error message about a bad host must not leak its
 * password either.
 */
export function displayHost(host: string): string {
  return withoutCredentials(host);
}

export interface HostAuth {
  /** The base URL to send requests to, without userinfo (fetch refuses a URL that carries credentials). */
  base: string;
  /** `Basic …` for a host written with `user:password@`, to send as the Authorization header. */
  authorization?: string;
}

/** Splits a resolved host into the URL to dial and the credentials it carried. */
export function hostAuth(host: string): HostAuth {
  let auth = hostAuths.get(host);
  if (auth === undefined) {
    auth = Object.freeze(splitAuth(host));
    if (hostAuths.size >= hostsKept) hostAuths.clear();
    hostAuths.set(host, auth);
  }
  return auth;
}

const hostAuths = new Map<string, Readonly<HostAuth>>();

function splitAuth(host: string): HostAuth {
  const base = displayHost(host);
  if (base === host) return { base };
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return { base };
  }
  // URL keeps userinfo percent-encoded; Basic auth wants the plain text. A host not made by resolveHost may hold a
  // literal `%`: taken as it is rather than failing every call.
  const pair = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
  return { base, authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}` };
}

export const defaultHost = 'http://127.0.0.1:11434';

/**
 * Turns `host`, `host:port`, `:port`, `[::1]:port`, with or without `http://` / `https://` and a trailing path,
 * into a base URL such as `http://127.0.0.1:11434`. Without a port: 11434 when no scheme is given, else 80 / 443.
 * An unspecified address (`0.0.0.0`, `::`, empty) means this machine, as a server binds it but a client cannot
 * dial it everywhere. An explicit host wins over the environment. A `user:password@` before the host is kept in
 * the result (it is how the request authenticates); pass the result through `displayHost` before storing or
 * showing it.
 */
export function resolveHost(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = explicit ?? env.OLLAMA_HOST ?? '';
  const read = readHost(value);
  if ('problem' in read) {
    const source = explicit !== undefined ? 'host' : 'OLLAMA_HOST';
    throw new ConfigError(`invalid model config: ${source} ${JSON.stringify(scrubUrl(unquoted(value)))} ${read.problem}`);
  }
  return read.url;
}

/** Why a host value names no server: the words that follow the (scrubbed) value in a message. */
class HostProblem extends Error {}

/**
 * `resolveHost` for one value, reporting a bad one as data: `{ url }`, or `{ problem }` such as `has an invalid port
 * "99999"`, for callers that word the refusal themselves (a CLI setting, an entry of OLLAMA_HOSTS).
 */
export function readHost(value: string): { url: string } | { problem: string } {
  let read = readHosts.get(value);
  if (read === undefined) {
    read = parsedHost(value);
    if (readHosts.size >= hostsKept) readHosts.clear();
    readHosts.set(value, read);
  }
  return read;
}

const readHosts = new Map<string, Readonly<{ url: string } | { problem: string }>>();

function parsedHost(value: string): Readonly<{ url: string } | { problem: string }> {
  try {
    return Object.freeze({ url: parseHost(unquoted(value)) });
  } catch (error) {
    if (error instanceof HostProblem) return Object.freeze({ problem: error.message });
    throw error;
  }
}

/** Ollama trims spaces and quotes (`OLLAMA_HOST="0.0.0.0"` in a systemd unit is common). */
function unquoted(value: string): string {
  return value.trim().replace(/^["']+|["']+$/g, '').trim();
}

function parseHost(raw: string): string {
  if (raw === '') return defaultHost;
  const fail = (why: string): never => {
    throw new HostProblem(why);
  };

  let scheme = 'http';
  let defaultPort = '11434';
  let rest = raw;
  const sep = raw.indexOf('://');
  if (sep >= 0) {
    scheme = raw.slice(0, sep).toLowerCase();
    rest = raw.slice(sep + 3);
    if (scheme === 'http') defaultPort = '80';
    else if (scheme === 'https') defaultPort = '443';
    else fail('must use http:// or https://');
  }

  // Userinfo is split off before the host:port rules, which know nothing of it, and added back at the end. It runs to
  // the LAST `@`, as src/util/secrets.ts reads it: a password may hold `/`, `?` or `#` (Go's url.Parse, and so Ollama,
  // would cut it at the first and take half of it for the host), while an `@` in an Ollama host's path is unheard of.
  const at = rest.slice(0, rest.lastIndexOf('@') + 1);
  rest = rest.slice(at.length);
  const slash = rest.indexOf('/');
  const hostport = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash).replace(/\/+$/, '') : '';

  let hostname: string;
  let port: string;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(hostport);
  if (bracketed) {
    hostname = bracketed[1] ?? '';
    port = bracketed[2] ?? defaultPort;
  } else if ((hostport.match(/:/g) ?? []).length > 1) {
    hostname = hostport; // a bare IPv6 address, no port
    port = defaultPort;
  } else {
    const colon = hostport.lastIndexOf(':');
    hostname = colon >= 0 ? hostport.slice(0, colon) : hostport;
    port = colon >= 0 ? hostport.slice(colon + 1) : defaultPort;
  }

  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) fail(`has an invalid port ${JSON.stringify(port)}`);
  if (hostname === '' || hostname === '0.0.0.0' || hostname === '::') hostname = '127.0.0.1';
  const authority = hostname.includes(':') ? `[${hostname}]:${Number(port)}` : `${hostname}:${Number(port)}`;

  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}${path}`);
  } catch {
    return fail('is not a valid host');
  }
  if (url.username || url.password || url.search || url.hash) fail('is not a valid host');
  let credentials = '';
  if (at !== '') {
    const [user = '', ...pw] = at.slice(0, -1).split(':');
    // Re-encoded whole, so that a `@` or `:` in a password cannot shift the host part, and a literal `%` (which URL's
    // own userinfo encoding leaves as it is) cannot be read back as an escape.
    const username = safeDecode(user);
    const password = safeDecode(pw.join(':'));
    if (username === '') fail('has credentials without a user name');
    credentials = `${encodeURIComponent(username)}${password === '' ? '' : `:${encodeURIComponent(password)}`}@`;
  }
  // URL drops default ports (http:80, https:443); spell them out so the base URL always shows the port.
  const shownPort = url.port || (scheme === 'https' ? '443' : '80');
  return `${url.protocol}//${credentials}${url.hostname}:${shownPort}${url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray `%` is taken literally
  }
}
