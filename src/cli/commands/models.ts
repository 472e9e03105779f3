// `harness models`: what each Ollama host has (name, size, family, parameters, quantization), what it has loaded, its health.
import { displayHost } from '../../llm/host.ts';
import { hostModels, loadedModels, type HostModel, type LoadedModel } from '../../llm/models/index.ts';
import { hostsFromEnv } from '../../runtime/preflight.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { table } from '../format.ts';
import { assertModelHost, modelHost } from '../host-arg.ts';
import { colorEnabled, paint } from '../io.ts';
import { humanBytes } from '../progress.ts';

const help = `Usage: harness models [--json] [--host <host>]

Lists the models on each Ollama host ($OLLAMA_HOSTS, else $OLLAMA_HOST): name, size, family, parameter
size and quantization (/api/tags), which are loaded in memory now (/api/ps), the context each was trained
for (/api/show) and the num_ctx it runs with: the loaded one, else its Modelfile's, else the server's
default (calls from the harness set their own, see README "Context windows"). First a health line per
host (ok with its counts, or why it did not answer).

Options:
  --host <host>  ask this host only
  --json         print { hosts: [{ host, ok, error, models, loaded }] } as JSON

Exit codes: 0 every host answered, 1 some host did not, 2 bad usage.`;

export interface HostListing {
  /** Without credentials. */
  host: string;
  ok: boolean;
  error: string | null;
  models: HostModel[];
  loaded: LoadedModel[];
}

/** Both listings of one host, asked at once; a host that fails either is reported with the error. */
export async function listHost(host: string): Promise<HostListing> {
  const shown = displayHost(host);
  try {
    const [models, loaded] = await Promise.all([hostModels(host), loadedModels(host)]);
    return { host: shown, ok: true, error: null, models, loaded };
  } catch (error) {
    return { host: shown, ok: false, error: error instanceof Error ? error.message : String(error), models: [], loaded: [] };
  }
}

function hostLines(listing: HostListing, p: ReturnType<typeof paint>): string[] {
  if (!listing.ok) return [`${p.bold(listing.host)}  ${p.red('unreachable')}  ${listing.error ?? ''}`];
  const s = (n: number) => (n === 1 ? '' : 's');
  const health = `${p.bold(listing.host)}  ${p.green('ok')}  ${listing.models.length} model${s(listing.models.length)}, ${listing.loaded.length} loaded`;
  if (listing.models.length === 0) return [health, '  no models (pull one with: harness pull <model>)'];
  const loaded = new Map(listing.loaded.map((m) => [m.name, m]));
  const header = ['NAME', 'SIZE', 'FAMILY', 'PARAMS', 'QUANT', 'LOADED', 'TRAINED', 'NUM_CTX'].map((h) => p.dim(h));
  const rows = listing.models.map((m) => {
    const running = loaded.get(m.name);
    const numCtx = running !== undefined && running.contextLength !== null ? `${running.contextLength} (loaded)` : m.numCtx !== null ? `${m.numCtx} (Modelfile)` : 'server default';
    return [
      m.name,
      humanBytes(m.size),
      m.family ?? '-',
      m.parameterSize ?? '-',
      m.quantization ?? '-',
      running ? p.green('yes') : '-',
      m.contextLength === null ? '-' : String(m.contextLength),
      numCtx,
    ];
  });
  return [health, ...table([header, ...rows]).map((line) => `  ${line}`)];
}

export const modelsCommand: Command = {
  name: 'models',
  summary: "list each Ollama host's models, which are loaded, and its health",
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean', default: false }, host: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`models takes no arguments, got "${positionals.join(' ')}"`);
    if (values.host === undefined) assertModelHost(io.env);
    const hosts = values.host !== undefined ? [modelHost(values.host, '--host')] : hostsFromEnv(io.env);
    const listings = await Promise.all(hosts.map(listHost));
    if (values.json) io.stdout.write(`${JSON.stringify({ hosts: listings }, null, 2)}\n`);
    else {
      const p = paint(colorEnabled(io.stdout, io.env));
      io.stdout.write(`${listings.map((listing) => hostLines(listing, p).join('\n')).join('\n\n')}\n`);
    }
    return listings.every((listing) => listing.ok) ? ExitCode.ok : ExitCode.failed;
  },
};
