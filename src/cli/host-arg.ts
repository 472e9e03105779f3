// Where models are served, as given by a person (OLLAMA_HOST, OLLAMA_HOSTS): refused strictly, never shown with credentials.
import { parseHostList } from '../llm/host-list.ts';
import { readHost } from '../llm/host.ts';
import { scrubUrl } from '../util/secrets.ts';
import { SettingError } from './command.ts';

/**
 * The base URL `value` names, by the rules of src/llm/host.ts, plus what those rules let through by leniency: a
 * scheme with no host after it (`http://`). Credentials (`user:pw@host`) are accepted (sent as Basic auth) and every
 * message shows the value scrubbed. Empty means the default host, as for Ollama.
 */
export function modelHost(value: string, label: string): string {
  const refuse = (problem: string): never => {
    throw new SettingError(`${label} ${JSON.stringify(scrubUrl(value.trim()))} ${problem}; expected [http[s]://]host[:port], e.g. http://127.0.0.1:11434`);
  };
  const sep = value.indexOf('://');
  // After a scheme, Ollama's rules read an empty host as this machine; a person who typed `http://` forgot it.
  if (sep >= 0 && /^["'\s]*(?:\/|$)/.test(value.slice(sep + 3))) refuse('names no host');
  const read = readHost(value);
  return 'problem' in read ? refuse(read.problem) : read.url;
}

/**
 * Refuses a malformed OLLAMA_HOST or OLLAMA_HOSTS in `env` before a command that calls models starts (and creates a
 * run file): exit 2, one line naming the variable and the whole value, credentials scrubbed.
 */
export function assertModelHost(env: NodeJS.ProcessEnv): void {
  const value = env.OLLAMA_HOST;
  if (value !== undefined) modelHost(value, 'OLLAMA_HOST');
  const list = env.OLLAMA_HOSTS;
  if (list !== undefined && list.trim() !== '') parseHostList(list, 'OLLAMA_HOSTS');
  // Read as 1 when it is not a count: a typo would quietly serialise every call.
  const concurrency = env.HARNESS_HOST_CONCURRENCY?.trim();
  if (concurrency && !/^[1-9]\d*$/.test(concurrency)) {
    throw new SettingError(`HARNESS_HOST_CONCURRENCY ${JSON.stringify(env.HARNESS_HOST_CONCURRENCY)} must be a whole number of at least 1 (calls per host at once)`);
  }
}
