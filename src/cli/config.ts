// The CLI's settings: flags win, then environment variables, then harness.config.{json,js,ts,mts} in the cwd, then defaults.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { importModule } from '../runtime/import-module.ts';
import { SettingError, type CliIO } from './command.ts';

export const configFileNames = ['harness.config.json', 'harness.config.js', 'harness.config.ts', 'harness.config.mts'] as const;

const fileSchema = z.strictObject({
  /** Directory of run files, relative to the cwd (where the config file is). */
  snapshots: z.string().trim().min(1).optional(),
  /** Ollama hosts, each an OLLAMA_HOST-style address, optionally `*slots`: one is OLLAMA_HOST, several OLLAMA_HOSTS. */
  hosts: z.array(z.string().trim().min(1)).min(1).optional(),
  /** Calls in flight per host at once (HARNESS_HOST_CONCURRENCY). */
  hostConcurrency: z.number().int().min(1).optional(),
  /** How long a run rides out an unreachable host before it parks (--park-after). */
  parkAfterMs: z.number().int().min(0).optional(),
  /** How long a graceful stop waits for calls in flight before cutting them off (--stop-grace-ms). */
  stopGraceMs: z.number().int().min(0).optional(),
});

export type ConfigFile = z.infer<typeof fileSchema>;

export interface LoadedConfig {
  /** The config file's name in the cwd, or undefined when there is none. */
  file: string | undefined;
  values: ConfigFile;
}

const none: LoadedConfig = { file: undefined, values: {} };
const loaded = new Map<string, LoadedConfig>();

function present(cwd: string): string | undefined {
  const found = configFileNames.filter((name) => existsSync(join(cwd, name)));
  if (found.length > 1) throw new SettingError(`${found.join(' and ')} are both in ${cwd}: keep one`);
  return found[0];
}

function validated(file: string, raw: unknown): LoadedConfig {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : 'the file';
    throw new SettingError(`${file}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return { file, values: parsed.data };
}

function readJson(cwd: string, file: string): LoadedConfig {
  try {
    return validated(file, JSON.parse(readFileSync(join(cwd, file), 'utf8')));
  } catch (error) {
    if (error instanceof SettingError) throw error;
    throw new SettingError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Reads the cwd's config file (a .js or .ts one by importing its default export) and keeps it for this cwd. */
export async function loadConfig(cwd: string): Promise<LoadedConfig> {
  const file = present(cwd);
  let config = none;
  if (file === 'harness.config.json') config = readJson(cwd, file);
  else if (file !== undefined) {
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(join(cwd, file));
    } catch (error) {
      throw new SettingError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    config = validated(file, mod.default);
  }
  loaded.set(cwd, config);
  return config;
}

/** The config loaded for `cwd` by loadConfig (runCli does so before every command); a JSON file is read if not yet. */
export function configOf(cwd: string): LoadedConfig {
  const known = loaded.get(cwd);
  if (known) return known;
  const file = present(cwd);
  return file === 'harness.config.json' ? readJson(cwd, file) : none;
}

/** An environment variable counts when it holds more than white space (the CLI reads an empty one as unset). */
export const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * The environment with the config file's values filled in where the environment has none, under the variables the
 * CLI already reads: HARNESS_SNAPSHOTS, OLLAMA_HOSTS (the file's `hosts`; only when neither OLLAMA_HOST nor
 * OLLAMA_HOSTS is set), HARNESS_HOST_CONCURRENCY.
 */
export function effectiveEnv(io: Pick<CliIO, 'env' | 'cwd'>): NodeJS.ProcessEnv {
  const { values } = configOf(io.cwd);
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (values.snapshots !== undefined && !isSet(env.HARNESS_SNAPSHOTS)) env.HARNESS_SNAPSHOTS = values.snapshots;
  if (values.hosts !== undefined && !isSet(env.OLLAMA_HOST) && !isSet(env.OLLAMA_HOSTS)) env.OLLAMA_HOSTS = values.hosts.join(',');
  if (values.hostConcurrency !== undefined && !isSet(env.HARNESS_HOST_CONCURRENCY)) {
    env.HARNESS_HOST_CONCURRENCY = String(values.hostConcurrency);
  }
  return env;
}

/** The config file's keys that a flag of a whole number of ms also sets: --park-after, --stop-grace-ms. */
export type MsKey = 'parkAfterMs' | 'stopGraceMs';

/** A flag as typed, else the config file's `key` (as the flag's text), else undefined. */
export function msSetting(flag: string | undefined, key: MsKey, io: Pick<CliIO, 'cwd'>): string | undefined {
  const fromFile = configOf(io.cwd).values[key];
  return flag ?? (fromFile !== undefined ? String(fromFile) : undefined);
}
