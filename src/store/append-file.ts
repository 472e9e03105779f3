// An append-only file a session writes to: opened at its first write (no empty files), kept open until the session ends.
import { closeSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
import { syncDirectory } from './atomic-json-file.ts';

/**
 * Without fsync a line is copied into the page cache by synchronous calls (a few µs, no metadata change but the
 * first write's create): trips to libuv's thread pool cost far more in latency, and on a loaded machine each one waits
 * for a thread to be scheduled (measured at load average 12–16 on 2 cores: a one-step run's appends and commits took
 * 4–15× as long through the pool). With fsync the wait is the disk's, and it goes through the pool.
 */
export class AppendFile {
  readonly path: string;
  readonly #fsync: boolean;
  #fd: number | undefined;
  #handle: Promise<FileHandle> | undefined;

  constructor(path: string, fsync: boolean) {
    this.path = path;
    this.#fsync = fsync;
  }

  /** Appends `text`: in the page cache when it resolves, and durable too if fsync was asked for. */
  async append(text: string): Promise<void> {
    const bytes = Buffer.from(text);
    if (!this.#fsync) {
      this.#fd ??= openSync(this.path, 'a');
      for (let done = 0; done < bytes.length; ) done += writeSync(this.#fd, bytes, done);
      return;
    }
    const handle = await (this.#handle ??= this.#open());
    for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done)).bytesWritten;
    await handle.datasync();
  }

  async close(): Promise<void> {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    const opening = this.#handle;
    this.#handle = undefined;
    if (opening) await (await opening).close();
  }

  async #open(): Promise<FileHandle> {
    try {
      const handle = await open(this.path, 'a');
      await syncDirectory(dirname(this.path)); // the file may be new: its directory entry too
      return handle;
    } catch (error) {
      this.#handle = undefined; // the next write tries again
      throw error;
    }
  }
}
