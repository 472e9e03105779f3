// `harness hosts`: each Ollama host a run would route among — slots, models, loaded models, calls in flight, breaker.
import type { BreakerStatus } from '../../llm/breaker.ts';
import { HostSet, type HostStatus } from '../../llm/hosts.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { duration } from '../format.ts';
import { assertModelHost } from '../host-arg.ts';
import { colorEnabled, paint } from '../io.ts';

const help = `Usage: harness hosts [--json]

Shows each Ollama host of $OLLAMA_HOSTS (else the one of $OLLAMA_HOST) as runs see it: its slots, the
models it has (/api/tags) and has loaded (/api/ps), the calls in flight on it, and its circuit breaker:
closed (calls go to it; the share of recent calls it failed), open (for how long, and why) or half-open
(the next call is a trial). This command's own breakers start closed: a host that does not answer its
listing opens. Credentials in a host's address are never shown.
Run 'harness models' for each model's size, family and quantization.

Options:
  --json  print { hosts: [{ host, slots, models, loaded, inFlight, calls, healthy, breaker: { state,
          openUntil, trial, calls, failures, failureRate, openedBecause }, lastError, checkedAt }] }
          as JSON (times in ms since the epoch)

Exit codes: 0 every host answered, 1 some host is down, 2 bad usage.`;

/** Answered its listings and its breaker is closed. */
const up = (status: HostStatus): boolean => status.healthy && status.models !== null;

function breakerLine(b: BreakerStatus, now: number): string {
  if (b.state === 'open') return `open for ${duration((b.openUntil ?? now) - now)} more, then a trial call`;
  if (b.state === 'half-open') return `half-open: ${b.trial ? 'a trial call is in flight' : 'the next call is a trial'}`;
  if (b.failureRate === null) return 'closed, no recent calls';
  return `closed, ${b.failures} of ${b.calls} recent calls failed (${Math.round(b.failureRate * 100)} %)`;
}

function hostLines(status: HostStatus, now: number, p: ReturnType<typeof paint>): string[] {
  const s = (n: number) => (n === 1 ? '' : 's');
  const load = `${status.slots} slot${s(status.slots)}, ${status.inFlight} in flight`;
  const breaker = `  breaker ${breakerLine(status.breaker, now)}`;
  if (!up(status)) {
    return [`${p.bold(status.host)}  ${p.red('down')}  ${load}`, breaker, `  error   ${status.lastError ?? 'not listed'}`];
  }
  const models = status.models ?? [];
  const list = (names: readonly string[]) => (names.length === 0 ? '-' : names.join(', '));
  return [
    `${p.bold(status.host)}  ${p.green('ok')}  ${load}, ${models.length} model${s(models.length)}, ${status.loaded.length} loaded`,
    `  models  ${list(models)}`,
    `  loaded  ${list(status.loaded)}`,
    breaker,
  ];
}

export const hostsCommand: Command = {
  name: 'hosts',
  summary: 'show each Ollama host runs route among: slots, models, loaded, in flight, breaker',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean', default: false } });
    if (positionals.length > 0) throw new UsageError(`hosts takes no arguments, got "${positionals.join(' ')}"`);
    assertModelHost(io.env); // a malformed OLLAMA_HOST(S) is a setting error (exit 2), with any password masked
    const set = HostSet.fromEnv(io.env);
    await set.refresh();
    const hosts = set.status();
    if (values.json) io.stdout.write(`${JSON.stringify({ hosts }, null, 2)}\n`);
    else {
      const p = paint(colorEnabled(io.stdout, io.env));
      const now = Date.now();
      io.stdout.write(`${hosts.map((status) => hostLines(status, now, p).join('\n')).join('\n\n')}\n`);
    }
    return hosts.every(up) ? ExitCode.ok : ExitCode.failed;
  },
};
