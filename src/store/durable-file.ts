// A lowdb adapter that survives power loss: temp file, fsync, rename, fsync of the directory.
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/** lowdb's own file adapters rename atomically but never fsync (DESIGN.md): a power cut can leave an empty file. */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly #path: string;
  readonly #tmp: string;

  constructor(path: string) {
    this.#path = path;
    this.#tmp = join(dirname(path), `.${basename(path)}.tmp`);
  }

  async read(): Promise<T | null> {
    throw new Error('DurableJsonFile is write-only: the store reads and validates run files itself');
  }

  async write(data: T): Promise<void> {
    const file = await open(this.#tmp, 'w');
    try {
      await file.writeFile(JSON.stringify(data));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(this.#tmp, this.#path);
    const dir = await open(dirname(this.#path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
