// Workflow versions as every store keeps them: one record per code hash (code, machine definition), checked on read.
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import { deepFreeze } from '../util/deep-freeze.ts';

const hashPattern = /^[0-9a-f]{64}$/;

const storedVersionSchema = z.object({
  /** sha256 of `code`, hex: the version's identity (and, in the file store, its file name). */
  hash: z.string().regex(hashPattern),
  workflowId: z.string(),
  /** The workflow module bundled with its local imports into one ES module; packages are imports. */
  code: z.string(),
  /** The machine's structure hash (`definitionHash`) and definition: kept once per version, never copied into runs. */
  definitionHash: z.string(),
  definition: z.unknown(),
  createdAt: z.string(),
});
export type StoredVersion = z.infer<typeof storedVersionSchema>;

/** The store has no version by that hash: the run cannot be driven until it is stored again (`harness upgrade`). */
export class VersionNotFoundError extends HarnessError {
  override name = 'VersionNotFoundError';
  constructor(message: string) {
    super('WORKFLOW_LOAD', message);
  }
}

/** A version hash, checked before it names a file or a row: VersionNotFoundError for anything else. */
export function assertVersionHash(hash: string, where: string): string {
  if (!hashPattern.test(hash)) throw new VersionNotFoundError(`no version ${JSON.stringify(hash)} in ${where}: a version is a sha256 hash (64 hex digits)`);
  return hash;
}

/** A stored version read back: its fields checked and its code hashed again, so a damaged one is never loaded. */
export function checkVersion(value: unknown, hash: string, where: string): StoredVersion {
  const parsed = storedVersionSchema.safeParse(value);
  if (!parsed.success || parsed.data.hash !== hash) throw new VersionNotFoundError(`version ${hash.slice(0, 12)} in ${where} is damaged: it cannot be read as a version`);
  return parsed.data;
}

/**
 * The versions a store read last, by hash. A version never changes once stored (its hash is its code's), so each is
 * read and checked once and shared, frozen: every run on it gets the same parsed definition, not a copy per open.
 */
export class VersionCache {
  /** Least recently used first (a Map keeps insertion order; a hit is moved to the end). Reads in flight are shared. */
  readonly #kept = new Map<string, Promise<StoredVersion>>();
  readonly #limit: number;

  constructor(limit = 32) {
    this.#limit = limit;
  }

  get(hash: string, load: (hash: string) => Promise<StoredVersion>): Promise<StoredVersion> {
    const kept = this.#kept.get(hash);
    if (kept !== undefined) {
      this.#kept.delete(hash);
      this.#kept.set(hash, kept);
      return kept;
    }
    const loading = load(hash).then(deepFreeze);
    this.#kept.set(hash, loading);
    // A failure is not kept: the version may be stored later.
    loading.catch(() => (this.#kept.get(hash) === loading ? this.#kept.delete(hash) : undefined));
    for (const oldest of this.#kept.keys()) {
      if (this.#kept.size <= this.#limit) break;
      this.#kept.delete(oldest);
    }
    return loading;
  }
}

interface WithWorkflow {
  workflow: { version?: string | undefined; definition?: unknown };
}

/** A run's meta as written: a run on a version keeps no copy of its definition, which its version holds once. */
export function storedMeta<T extends WithWorkflow>(meta: T): T {
  if (meta.workflow.version === undefined) return meta;
  const { definition: _inVersion, ...workflow } = meta.workflow;
  return { ...meta, workflow };
}

/** A run's meta as read: the definition taken from its version when the meta holds none (left out if it is missing). */
export async function withDefinition<T extends WithWorkflow>(meta: T, getVersion: (hash: string) => Promise<StoredVersion>): Promise<T> {
  const { version } = meta.workflow;
  if (version === undefined || meta.workflow.definition !== undefined) return meta;
  const stored = await getVersion(version).catch(() => null);
  return stored === null ? meta : { ...meta, workflow: { ...meta.workflow, definition: stored.definition } };
}
