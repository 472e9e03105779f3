// Where Ollama lives: OLLAMA_HOST (or an explicit host) read with the rules of Ollama's own envconfig.Host.
import { ConfigError } from './errors.ts';

export const defaultHost = 'http://127.0.0.1:11434';

/**
 * Turns `host`, `host:port`, `:port`, `[::1]:port`, with or without `http://` / `https://` and a trailing path,
 * into a base URL such as `http://127.0.0.1:11434`. Without a port: 11434 when no scheme is given, else 80 / 443.
 * An unspecified address (`0.0.0.0`, `::`, empty) means this machine, as a server binds it but a client cannot
 * dial it everywhere. An explicit host wins over the environment.
 */
export function resolveHost(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const source = explicit !== undefined ? 'host' : 'OLLAMA_HOST';
  // Ollama trims spaces and quotes (`OLLAMA_HOST="0.0.0.0"` in a systemd unit is common).
  const raw = (explicit ?? env.OLLAMA_HOST ?? '').trim().replace(/^["']+|["']+$/g, '').trim();
  if (raw === '') return defaultHost;

  const fail = (why: string): never => {
    throw new ConfigError(`invalid model config: ${source} ${JSON.stringify(raw)} ${why}`);
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
  // URL drops default ports (http:80, https:443); spell them out so the base URL always shows the port.
  const shownPort = url.port || (scheme === 'https' ? '443' : '80');
  return `${url.protocol}//${url.hostname}:${shownPort}${url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '')}`;
}
