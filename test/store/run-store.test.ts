// Every RunStore this package ships, held to the same conformance suite.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore, MemoryStore, type RunStore } from '../../src/store/index.ts';
import { describeRunStore } from './conformance.ts';
import { sleep } from './helpers.ts';

function fileStore(fsync: boolean) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-conformance-'));
    return { store: new FileStore({ dir, fsync }), cleanup: () => rm(dir, { recursive: true, force: true }) };
  };
}

/** The file store's takeover: the holder's lock goes silent past a (here tiny) staleness and a newer driver takes it. */
async function takeOverFile(store: RunStore, runId: string) {
  await sleep(30);
  return new FileStore({ dir: store.location, lockStaleMs: 10 }).open(runId);
}

/** The file store's journal lost at a line boundary (a restored backup, a truncating editor): its first `keep` lines kept. */
async function cutFileJournal(store: RunStore, runId: string, keep: number) {
  const path = join(store.location, runId, 'journal.ndjson');
  const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
  await writeFile(path, lines.slice(0, keep).map((line) => `${line}\n`).join(''));
}

describeRunStore('FileStore', fileStore(false), { takeOver: takeOverFile, cutJournal: cutFileJournal });
describeRunStore('FileStore with fsync', fileStore(true), { takeOver: takeOverFile, cutJournal: cutFileJournal });
describeRunStore(
  'MemoryStore',
  async () => ({ store: new MemoryStore(), cleanup: async () => undefined }),
  {
    takeOver: async (store, runId) => {
      if (!(store instanceof MemoryStore)) throw new Error('the memory takeover needs a MemoryStore');
      store.breakLock(runId);
      return store.open(runId);
    },
  },
);
