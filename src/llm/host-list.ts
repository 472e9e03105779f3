// The OLLAMA_HOSTS syntax: several Ollama servers, each with the number of calls it serves at once.
import { scrubUrl } from '../util/secrets.ts';
import { ConfigError } from './errors.ts';
import { displayHost, readHost } from './host.ts';

/** One host of a set: its address (any OLLAMA_HOST form, credentials allowed) and how many calls it serves at once. */
export interface HostEntry {
  host: string;
  /** Parallel slots (OLLAMA_NUM_PARALLEL on that server); load is compared per slot. Default 1. */
  slots?: number;
}

const separators = /[\s,]+/;

/** The list as it may be shown: each entry scrubbed on its own, so one entry's `@` cannot hide (or show) another's. */
function shownList(list: string): string {
  return list.replace(/[^\s,]+/g, (entry) => scrubUrl(entry));
}

/**
 * Reads a host list: entries separated by commas (or white space), each an OLLAMA_HOST-style address optionally
 * followed by `*slots`, e.g. `gpu1:11434*4, http://user:pw@gpu2:11434`. Empty entries are skipped, but a list of
 * nothing else is refused. Addresses come back resolved (credentials kept, for dialling). A refusal names `source`,
 * the whole list and the entry at fault, every credential in them scrubbed.
 */
export function parseHostList(list: string, source = 'OLLAMA_HOSTS'): Required<HostEntry>[] {
  // `problem` follows the list after a space, or after a colon when it is about one entry (`: entry "x" …`).
  const refuse = (problem: string): never => {
    throw new ConfigError(
      `${source} ${JSON.stringify(shownList(list))}${problem.startsWith(':') ? '' : ' '}${problem}; expected [http[s]://]host[:port][*slots] entries separated by commas, e.g. gpu1:11434*2,http://gpu2:11434`,
    );
  };
  const entries: Required<HostEntry>[] = [];
  const seen = new Map<string, string>();
  for (const raw of list.split(separators)) {
    if (raw === '') continue;
    const entry = `entry ${JSON.stringify(scrubUrl(raw))}`;
    const star = /^(.*)\*([^*]*)$/.exec(raw);
    const address = star ? (star[1] ?? '') : raw;
    const slots = star ? Number(star[2]) : 1;
    if (!Number.isInteger(slots) || slots < 1) refuse(`: ${entry} must end in *<positive integer> if anything`);
    const read = readHost(address);
    if ('problem' in read) return refuse(`: ${entry} ${read.problem}`);
    // A host listed twice would have its load counted twice.
    const shown = displayHost(read.url);
    const earlier = seen.get(shown);
    if (earlier !== undefined) refuse(`: ${entry} names ${shown} again (as ${JSON.stringify(earlier)} did)`);
    seen.set(shown, scrubUrl(raw));
    entries.push({ host: read.url, slots });
  }
  if (entries.length === 0) refuse('lists no host');
  return entries;
}
