// `server.address` / `server.port` of an Ollama host: credentials are stripped before the URL is even parsed.
import type { Attributes } from '@opentelemetry/api';
import { displayHost } from '../llm/host.ts';
import { General } from './attributes.ts';

/** The host's name and port; empty when the host is unknown or unparsable (nothing is better than a guess). */
export function serverAttributes(host: string | undefined): Attributes {
  if (host === undefined || host === '') return {};
  let url: URL;
  try {
    url = new URL(displayHost(host));
  } catch {
    return {};
  }
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  // URL keeps IPv6 literals bracketed; the convention wants the bare address.
  return { [General.serverAddress]: url.hostname.replace(/^\[(.*)\]$/, '$1'), [General.serverPort]: port };
}
