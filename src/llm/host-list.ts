// The OLLAMA_HOSTS syntax: several Ollama servers, each with the number of calls it serves at once.
import { ConfigError } from './errors.ts';
import { displayHost, resolveHost } from './host.ts';

/** One host of a set: its address (any OLLAMA_HOST form, credentials allowed) and how many calls it serves at once. */
export interface HostEntry {
  host: string;
  /** Parallel slots (OLLAMA_NUM_PARALLEL on that server); load is compared per slot. Default 1. */
  slots?: number;
}

/**
 * Reads a host list: entries separated by commas (or white space), each an OLLAMA_HOST-style address optionally
 * followed by `*slots`, e.g. `gpu1:11434*4, http://user:pw@gpu2:11434`. Empty entries are skipped. Addresses come
 * back resolved (credentials kept, for dialling); errors never show a password.
 */
export function parseHostList(list: string, source = 'OLLAMA_HOSTS'): Required<HostEntry>[] {
  const entries: Required<HostEntry>[] = [];
  for (const raw of list.split(/[\s,]+/)) {
    if (raw === '') continue;
    const star = /^(.*)\*([^*]*)$/.exec(raw);
    const address = star ? (star[1] ?? '') : raw;
    const slots = star ? Number(star[2]) : 1;
    if (!Number.isInteger(slots) || slots < 1) {
      throw new ConfigError(`invalid ${source}: ${JSON.stringify(displayHost(raw))} must end in *<positive integer> if anything`);
    }
    entries.push({ host: resolveHost(address, {}), slots });
  }
  return entries;
}
