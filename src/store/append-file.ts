// An append-only file a session writes to: opened at its first write (no empty files), kept open until the session ends.
import { dirname } from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
import { syncDirectory } from './atomic-json-file.ts';

export class AppendFile {
  readonly path: string;
  readonly #fsync: boolean;
  #handle: Promise<FileHandle> | undefined;

  constructor(path: string, fsync: boolean) {
    this.path = path;
    this.#fsync = fsync;
  }

  /** Appends `text` through libuv's thread pool; durable when it resolves if fsync was asked for. */
  async append(text: string): Promise<void> {
    const handle = await (this.#handle ??= this.#open());
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done)).bytesWritten;
    if (this.#fsync) await handle.datasync();
  }

  async close(): Promise<void> {
    const opening = this.#handle;
    this.#handle = undefined;
    if (opening) await (await opening).close();
  }

  async #open(): Promise<FileHandle> {
    try {
      const handle = await open(this.path, 'a');
      if (this.#fsync) await syncDirectory(dirname(this.path)); // the file may be new: its directory entry too
      return handle;
    } catch (error) {
      this.#handle = undefined; // the next write tries again
      throw error;
    }
  }
}
