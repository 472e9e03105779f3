// A lowdb adapter that replaces a JSON file atomically, with a last check before the rename and optional fsync.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

export interface AtomicJsonFileOptions<T> {
  /** Validates what `read` finds; throws if it is not a T. */
  parse: (text: string) => T;
  /** fsync the temp file and the directory: durable against power loss (lowdb's own adapters never fsync). */
  fsync?: boolean;
  /**
   * Runs after the temp file is complete and right before the rename; throwing refuses the write (the temp file is
   * removed). A driver paused mid-write is checked here, when it is about to replace the file, not when it began.
   */
  beforeRename?: () => void | Promise<void>;
}

export class AtomicJsonFile<T> implements Adapter<T> {
  readonly path: string;
  readonly #options: AtomicJsonFileOptions<T>;
  /**
   * Temp names are unique per write: a shared name (steno's `.name.tmp`) lets a stale writer's half-written temp
   * file be renamed over the file by a newer writer, or the reverse.
   */
  readonly #tmpPrefix: string;
  #writes = 0;

  constructor(path: string, options: AtomicJsonFileOptions<T>) {
    this.path = path;
    this.#options = options;
    this.#tmpPrefix = join(dirname(path), `.${basename(path, '.json')}.${process.pid}.${randomBytes(3).toString('hex')}`);
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
      throw error;
    }
    return this.#options.parse(text);
  }

  async write(data: T): Promise<void> {
    this.#writes += 1;
    const tmp = `${this.#tmpPrefix}.${this.#writes}.tmp`;
    const text = `${JSON.stringify(data)}\n`;
    if (!this.#options.fsync) {
      // Rare (a run's meta, the checkpoint of a run at rest), but on every run's way to its end: into the page cache by
      // synchronous calls, as appends are (see append-file.ts), not four trips to a thread pool that a loaded machine
      // makes each wait its turn.
      writeFileSync(tmp, text, { flag: 'wx' });
      try {
        await this.#options.beforeRename?.();
        renameSync(tmp, this.path);
      } catch (error) {
        rmSync(tmp, { force: true });
        throw error;
      }
      return;
    }
    const file = await open(tmp, 'wx');
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await this.#options.beforeRename?.();
      await rename(tmp, this.path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    await syncDirectory(dirname(this.path));
  }
}

/** Makes a rename or a new file in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
