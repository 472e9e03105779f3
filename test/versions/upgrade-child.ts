// A `harness upgrade` that dies by SIGKILL at a chosen point, for the crash test: after the new version is stored, after
// the commit that moves the run onto it, or after the meta that follows it.
import { FileStore, type RunSession, type RunStore } from '../../src/store/index.ts';
import { upgradeRun } from '../../src/runtime/upgrade.ts';

type KillAt = 'stored' | 'committed' | 'meta';

function dyingStore(store: FileStore, at: KillAt): RunStore {
  const die = (point: KillAt) => {
    if (point === at) process.kill(process.pid, 'SIGKILL');
  };
  const session = (inner: RunSession): RunSession => ({
    get runId() { return inner.runId; },
    get epoch() { return inner.epoch; },
    get record() { return inner.record; },
    append: (entry) => inner.append(entry),
    commit: async (checkpoint, timeline) => {
      await inner.commit(checkpoint, timeline);
      die('committed');
    },
    migrate: async (hash, definition, version) => {
      await inner.migrate(hash, definition, version);
      die('meta');
    },
    close: () => inner.close(),
  });
  return {
    location: store.location,
    create: async (meta) => session(await store.create(meta)),
    open: async (id) => session(await store.open(id)),
    read: (id) => store.read(id),
    readHead: (id) => store.readHead(id),
    list: () => store.list(),
    history: (id) => store.history(id),
    checkpointAt: (id, seq) => store.checkpointAt(id, seq),
    requestCancel: (id) => store.requestCancel(id),
    watchCancel: (id, cancel) => store.watchCancel(id, cancel),
    clearCancel: (id) => store.clearCancel(id),
    putVersion: async (version) => {
      await store.putVersion(version);
      die('stored');
    },
    getVersion: (hash) => store.getVersion(hash),
  };
}

const [dir, runId, at] = process.argv.slice(2);
if (!dir || !runId || (at !== 'stored' && at !== 'committed' && at !== 'meta')) throw new Error('usage: upgrade-child.ts <dir> <run-id> stored|committed|meta');
await upgradeRun({ store: dyingStore(new FileStore({ dir, lockStaleMs: 1_000 }), at), runId });
process.stderr.write('upgrade finished without being killed\n');
process.exit(1);
