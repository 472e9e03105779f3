// Where models are served, as given by a person (OLLAMA_HOST): refused strictly, and never shown with credentials.
import { parseHostList } from '../llm/host-list.ts';
import { resolveHost } from '../llm/host.ts';
import { SettingError } from './command.ts';

/** `scheme://user:pw@host…` with the user and password replaced, for any message that repeats the value. */
export function maskHost(raw: string): string {
  const sep = raw.indexOf('://');
  const start = sep >= 0 ? sep + 3 : 0;
  const slash = raw.indexOf('/', start);
  const authority = raw.slice(start, slash >= 0 ? slash : undefined);
  const at = authority.lastIndexOf('@');
  return at < 0 ? raw : `${raw.slice(0, start)}***${raw.slice(start + at)}`;
}

/**
 * The base URL `value` names, by the rules of src/llm/host.ts, plus what those rules let through by leniency: a
 * scheme with no host after it (`http://`). Credentials (`user:pw@host`) are accepted (sent as Basic auth) and every
 * message shows the value masked. Empty means the default host, as for Ollama.
 */
export function modelHost(value: string, label: string): string {
  const shown = JSON.stringify(maskHost(value.trim()));
  const refuse = (problem: string): never => {
    throw new SettingError(`${label} ${shown} ${problem}; expected [http[s]://]host[:port], e.g. http://127.0.0.1:11434`);
  };
  const sep = value.indexOf('://');
  // After a scheme, Ollama's rules read an empty host as this machine; a person who typed `http://` forgot it.
  if (sep >= 0 && /^["'\s]*(?:\/|$)/.test(value.slice(sep + 3))) refuse('names no host');
  try {
    return resolveHost(value, {});
  } catch (error) {
    // resolveHost says `invalid model config: host "<value>" <problem>`: keep the problem, say it our way.
    const message = error instanceof Error ? error.message : String(error);
    const quoted = JSON.stringify(value.trim().replace(/^["']+|["']+$/g, '').trim());
    const at = message.indexOf(quoted);
    return refuse(at >= 0 ? message.slice(at + quoted.length).trim() : 'is not a valid host');
  }
}

/** Refuses a malformed OLLAMA_HOST or OLLAMA_HOSTS in `env` before a command that calls models starts (and creates a run file). */
export function assertModelHost(env: NodeJS.ProcessEnv): void {
  const value = env.OLLAMA_HOST;
  if (value !== undefined) modelHost(value, 'OLLAMA_HOST');
  const list = env.OLLAMA_HOSTS;
  if (list !== undefined && list.trim() !== '') {
    try {
      parseHostList(list, 'OLLAMA_HOSTS');
    } catch (error) {
      throw new SettingError(maskHost(error instanceof Error ? error.message : String(error)));
    }
  }
}
