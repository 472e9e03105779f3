// `harness config`: the effective settings (snapshots, hosts, host concurrency, park-after, stop grace) and where each came from.
import { parseHostList } from '../../llm/host-list.ts';
import { displayHost, resolveHost } from '../../llm/host.ts';
import { defaultStopGraceMs } from '../../runtime/index.ts';
import { defaultOutagePolicy } from '../../steps/services.ts';
import { scrubUrl } from '../../util/secrets.ts';
import { assertModelHost } from '../host-arg.ts';
import { type CliIO, type Command, ExitCode, integerFlag, parseFlags, UsageError } from '../command.ts';
import { configOf, isSet, type MsKey } from '../config.ts';
import { snapshotsDir } from '../snapshots-dir.ts';

const help = `Usage: harness config [--json] [--snapshots <dir>] [--park-after <ms>] [--stop-grace-ms <ms>]

Prints the settings a command run here would use, and where each came from: a flag, an environment
variable, the config file in this directory (harness.config.json, .js, .ts or .mts), or the default.
Flags win, then environment variables, then the file.

The file (every key optional):
  { "snapshots": "runs", "hosts": ["gpu1:11434*4", "gpu2:11434"], "hostConcurrency": 2, "parkAfterMs": 600000,
    "stopGraceMs": 10000 }

Options:
  --json               print { file, settings: { name: { value, source } } } as JSON
  --snapshots <dir>    as run, resume, send, ls and show would take it
  --park-after <ms>    as run, resume and send would take it
  --stop-grace-ms <ms> as run, resume, send and worker would take it`;

interface Setting {
  value: string | number | string[];
  source: string;
}

export function effectiveSettings(values: { snapshots?: string | undefined; 'park-after'?: string | undefined; 'stop-grace-ms'?: string | undefined }, io: CliIO) {
  const { file, values: fromFile } = configOf(io.cwd);
  const inFile = file ?? 'config file';
  const { env } = io;

  const snapshots: Setting = {
    value: snapshotsDir(values.snapshots, io),
    source: values.snapshots !== undefined ? '--snapshots' : isSet(env.HARNESS_SNAPSHOTS) ? 'HARNESS_SNAPSHOTS' : fromFile.snapshots ? inFile : 'default',
  };

  assertModelHost(env);
  const listed = (list: string, source: string) =>
    parseHostList(list, source).map((h) => (h.slots > 1 ? `${displayHost(h.host)}*${h.slots}` : displayHost(h.host)));
  const hosts: Setting = isSet(env.OLLAMA_HOSTS)
    ? { value: listed(env.OLLAMA_HOSTS, 'OLLAMA_HOSTS'), source: 'OLLAMA_HOSTS' }
    : isSet(env.OLLAMA_HOST)
      ? { value: [displayHost(resolveHost(env.OLLAMA_HOST, {}))], source: 'OLLAMA_HOST' }
      : fromFile.hosts
        ? { value: listed(fromFile.hosts.join(','), `${inFile} hosts`), source: inFile }
        : { value: [displayHost(resolveHost(undefined, {}))], source: 'default' };

  const concurrency: Setting = isSet(env.HARNESS_HOST_CONCURRENCY)
    ? { value: Number(env.HARNESS_HOST_CONCURRENCY), source: 'HARNESS_HOST_CONCURRENCY' }
    : isSet(env.OLLAMA_NUM_PARALLEL)
      ? { value: Number(env.OLLAMA_NUM_PARALLEL), source: 'OLLAMA_NUM_PARALLEL' }
      : fromFile.hostConcurrency !== undefined
        ? { value: fromFile.hostConcurrency, source: inFile }
        : { value: 1, source: 'default' };

  /** A whole number of ms: the flag, else the file's key, else the default. */
  const ms = (flag: 'park-after' | 'stop-grace-ms', key: MsKey, fallback: Setting): Setting => {
    const flagged = integerFlag(flag, values[flag], 0);
    if (flagged !== undefined) return { value: flagged, source: `--${flag}` };
    const inTheFile = fromFile[key];
    return inTheFile !== undefined ? { value: inTheFile, source: inFile } : fallback;
  };
  const parkAfter = ms('park-after', 'parkAfterMs', { value: defaultOutagePolicy.parkAfterMs, source: 'default; a workflow may set its own' });
  const stopGrace = ms('stop-grace-ms', 'stopGraceMs', { value: defaultStopGraceMs, source: 'default' });

  // Where runs live and what dispatches them, when set: shown scrubbed of credentials, as everywhere.
  const urls: Record<string, Setting> = {};
  for (const [name, variable] of [['store', 'HARNESS_STORE'], ['queue', 'HARNESS_QUEUE']] as const) {
    const value = env[variable]?.trim();
    if (value) urls[name] = { value: scrubUrl(value), source: variable };
  }

  return { file, settings: { snapshots, hosts, hostConcurrency: concurrency, parkAfterMs: parkAfter, stopGraceMs: stopGrace, ...urls } };
}

export const configCommand: Command = {
  name: 'config',
  summary: 'print the effective settings and where each came from',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      json: { type: 'boolean', default: false },
      snapshots: { type: 'string' },
      'park-after': { type: 'string' },
      'stop-grace-ms': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`config takes no arguments, got "${positionals.join(' ')}"`);
    const effective = effectiveSettings(values, io);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(effective, null, 2)}\n`);
      return ExitCode.ok;
    }
    const lines = [`config file: ${effective.file ?? `none (no harness.config.json, .js, .ts or .mts in ${io.cwd})`}`];
    for (const [name, { value, source }] of Object.entries(effective.settings)) {
      lines.push(`${name.padEnd(16)}${Array.isArray(value) ? value.join(', ') : String(value)}  (${source})`);
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return ExitCode.ok;
  },
};
