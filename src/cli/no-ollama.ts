// The hint for a first-hour user with no Ollama running: the default host refuses, and `harness simulate` is one command away.
import { defaultHost } from '../llm/host.ts';
import type { CallEvent } from '../steps/services.ts';
import type { CliIO } from './command.ts';

/** Commands (by their io) that already gave the hint: it is said once, whether the model check or a call saw it first. */
const hinted = new WeakSet<CliIO>();

/** The hint, when `host` is the default address and `error` says nothing listens there; null otherwise. */
export function noOllamaHint(host: string, error: string): string | null {
  if (host !== defaultHost || !/cannot connect|connection refused/.test(error)) return null;
  return (
    `hint: no Ollama answers at ${defaultHost}, the default address (set OLLAMA_HOST to use another). To try a workflow without a ` +
    'model, run `harness simulate` in another terminal: it serves Ollama\'s API at that address. Until a host answers, ' +
    'the run retries, then parks (--park-after; resume it later).'
  );
}

/** Says the hint through `say`, once per command. */
export function hintOnce(io: CliIO, host: string, error: string, say: (text: string) => void): void {
  if (hinted.has(io)) return;
  const hint = noOllamaHint(host, error);
  if (hint === null) return;
  hinted.add(io);
  say(hint);
}

/** The hint for a call the default host refused, as the run's calls end. */
export function hintOnRefusedCall(io: CliIO, event: CallEvent, say: (text: string) => void): void {
  if (event.type !== 'call.end' || event.result.metadata.error?.kind !== 'connection') return;
  hintOnce(io, event.result.metadata.host, event.result.metadata.error.message, say);
}
