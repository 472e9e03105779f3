// Before a run pays for anything: every model its workflow can call, checked against the Ollama host(s) (/api/tags).
import type { AnyStateMachine } from 'xstate';
import { HarnessError } from '../errors.ts';
import { displayHost, hostAuth, resolveHost } from '../llm/host.ts';
import { parseHostList } from '../llm/host-list.ts';
import { canonicalModel, listModels } from '../llm/listing.ts';
import { declaredModels, reachFailure } from '../llm/models/index.ts';

function isMachine(logic: unknown): logic is AnyStateMachine {
  return typeof logic === 'object' && logic !== null && 'root' in logic && 'implementations' in logic;
}

/**
 * Every model a machine can call, each once (names compared as Ollama does: `llama3` is `llama3:latest`), in the
 * order met: the `meta.models` of the machine and of every machine it registers by name in `setup({ actors })`,
 * recursively (model steps, sub-agents, fan-out workers). A model step lists its ladder and its judges there.
 */
export function modelsOf(machine: AnyStateMachine): string[] {
  const found = new Map<string, string>();
  const seen = new Set<AnyStateMachine>();
  const visit = (m: AnyStateMachine): void => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const name of declaredModels(m.root.meta)) {
      const key = canonicalModel(name);
      if (!found.has(key)) found.set(key, name.trim());
    }
    for (const logic of Object.values(m.implementations.actors ?? {})) if (isMachine(logic)) visit(logic);
  };
  visit(machine);
  return [...found.values()];
}

/** The hosts a run's calls go to: OLLAMA_HOSTS when set, else the one of OLLAMA_HOST (or the default). */
export function hostsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = env.OLLAMA_HOSTS?.trim() ?? '';
  return list !== '' ? parseHostList(list).map((entry) => entry.host) : [resolveHost(undefined, env)];
}

export interface HostCheck {
  /** The host without credentials. */
  host: string;
  /** False when it did not answer /api/tags: its models are unknown, not missing. */
  reachable: boolean;
  error: string | null;
  /** The workflow's models this host lacks (empty when unreachable). */
  missing: string[];
}

export interface PreflightReport {
  /** Every model the workflow can call. */
  models: string[];
  hosts: HostCheck[];
  /** Models no host has, every host having answered: the run would fail on them. */
  missing: string[];
  /** Models none of the hosts that answered has, while some host did not answer: maybe there. */
  unconfirmed: string[];
}

export interface PreflightOptions {
  /** The workflow (or anything with its machine). */
  workflow: { machine: AnyStateMachine };
  /** Host addresses (any OLLAMA_HOST form); default `hostsFromEnv()`. */
  hosts?: readonly string[];
  /** Deadline of each /api/tags request, in ms. Default 5 000. */
  timeoutMs?: number;
}

/** Asks each host once (GET /api/tags, in parallel) which of the workflow's models it has. Never throws for a host. */
export async function preflight(options: PreflightOptions): Promise<PreflightReport> {
  const models = modelsOf(options.workflow.machine);
  const hosts = (options.hosts ?? hostsFromEnv()).map((host) => resolveHost(host, {}));
  const timeoutMs = options.timeoutMs ?? 5_000;
  const checks = await Promise.all(
    hosts.map(async (url): Promise<HostCheck & { has: Set<string> | null }> => {
      const { base, authorization } = hostAuth(url);
      const host = displayHost(url);
      if (models.length === 0) return { host, reachable: true, error: null, missing: [], has: new Set() };
      try {
        const has = new Set(await listModels('tags', { base, timeoutMs, ...(authorization ? { authorization } : {}) }));
        return { host, reachable: true, error: null, missing: models.filter((m) => !has.has(canonicalModel(m))), has };
      } catch (error) {
        return { host, reachable: false, error: reachFailure(error, timeoutMs), missing: [], has: null };
      }
    }),
  );
  const answered = checks.filter((check) => check.has !== null);
  const nowhere = models.filter((m) => !answered.some((check) => check.has?.has(canonicalModel(m))));
  const allAnswered = answered.length === checks.length;
  return {
    models,
    hosts: checks.map(({ has: _has, ...check }) => check),
    missing: allAnswered ? nowhere : [],
    unconfirmed: allAnswered ? [] : answered.length > 0 ? nowhere : [],
  };
}

/** One line: the missing models and the hosts asked. */
export function missingModelsMessage(report: PreflightReport): string {
  const asked = report.hosts.map((check) => check.host).join(', ');
  const s = report.missing.length === 1 ? '' : 's';
  return `model${s} not found on ${report.hosts.length === 1 ? 'the host' : 'any host'}: ${report.missing.join(', ')} (asked ${asked})`;
}

/** The workflow calls models no host has: refused before the run is created (exit 2 on the command line). */
export class MissingModelsError extends HarnessError {
  override name = 'MissingModelsError';
  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super('INVALID_CONFIG', message);
  }
}
