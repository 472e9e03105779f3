// One process of the crash test: starts, resumes or approves a run, and exits once the run settles (or is SIGKILLed).
//
//   node --import tsx test/runtime/crash-child.ts run    <dir> <runId> <workflow module> <input JSON>
//   node --import tsx test/runtime/crash-child.ts resume <dir> <runId>
//   node --import tsx test/runtime/crash-child.ts send   <dir> <runId> <event type>
//
// OLLAMA_HOST and HARNESS_HOST_CONCURRENCY come from the environment, as for any harness process.
// CRASH_IN_APPEND=n makes the process SIGKILL itself in the middle of its n-th journal append: half the line is on
// disk, as a kill inside the write would leave it, and the store must ignore the torn line on the next open.
// CRASH_AFTER_CALLS=n makes the process SIGKILL itself right after its n-th paid call is journaled: the worst moment,
// when the run file holds the call's result but no checkpoint past it yet, so resume must replay it from the journal.
import { appendFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage } from '../../src/llm/types.ts';
import { hostLimiter, loadWorkflow, resumeWorkflow, runWorkflow, sendToRun } from '../../src/runtime/index.ts';
import { requestHash } from '../../src/steps/index.ts';
import type { CallEvent } from '../../src/steps/index.ts';
import { FileStore, type RunRecord, type RunSession, type RunStore } from '../../src/store/index.ts';
import { hashString } from '../../src/util/random.ts';

/** File in the run directory where each chat request's body hash is paired with its journal request hash. */
const requestsFile = 'requests.ndjson';

/**
 * The simulator logs a completed request by a hash of its raw body; the run file's journal names a call by a hash of
 * its model and messages. Both are known here, just before the body leaves, so the test can join the two. The line is
 * written synchronously first: a kill can never leave a request the simulator saw without its pairing.
 */
function recordRequests(dir: string): void {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const body = init?.body;
    if (typeof body === 'string' && String(input instanceof Request ? input.url : input).endsWith('/api/chat')) {
      const parsed = JSON.parse(body) as { model: string; messages: ChatMessage[] };
      const messages = parsed.messages.map((m) => ({ role: m.role, content: m.content }));
      const line = { body: hashString(body), request: requestHash(parsed.model, messages) };
      appendFileSync(join(dir, requestsFile), `${JSON.stringify(line)}\n`);
    }
    return realFetch(input, init);
  };
}

/** File in the run directory where each call answered from the journal is noted, for the test to count. */
const replaysFile = 'replays.ndjson';

/**
 * `call.end` of a paid call is emitted once its journal entry is durable, before the step's actor resolves: with
 * `limit`, the process SIGKILLs itself right after its `limit`-th paid call. Replayed calls are noted in `replaysFile`.
 */
function watchCalls(dir: string, limit: number): (event: CallEvent) => void {
  let paid = 0;
  return (event) => {
    if (event.type !== 'call.end') return;
    if (event.replayed) appendFileSync(join(dir, replaysFile), `${JSON.stringify({ key: event.key })}\n`);
    else if (++paid === limit) process.kill(process.pid, 'SIGKILL');
  };
}

/** The store with its n-th journal append cut in half by a SIGKILL: a torn last line, as a kill mid-write leaves. */
function tearingStore(store: FileStore, dir: string, runId: string, tearAt: number): RunStore {
  let appends = 0;
  const tearing = (session: RunSession): RunSession => ({
    get runId() { return session.runId; },
    get epoch() { return session.epoch; },
    get record() { return session.record; },
    append: async (entry) => {
      if (++appends === tearAt) {
        const line = JSON.stringify({ ...entry, epoch: session.epoch });
        appendFileSync(join(dir, runId, 'journal.ndjson'), line.slice(0, Math.floor(line.length / 2)));
        process.kill(process.pid, 'SIGKILL');
      }
      return session.append(entry);
    },
    commit: (checkpoint, timeline) => session.commit(checkpoint, timeline),
    migrate: (hash, definition, version) => session.migrate(hash, definition, version),
    close: () => session.close(),
  });
  return {
    location: store.location,
    create: async (meta) => tearing(await store.create(meta)),
    open: async (id) => tearing(await store.open(id)),
    read: (id) => store.read(id),
    readHead: (id) => store.readHead(id),
    list: () => store.list(),
    requestCancel: (id) => store.requestCancel(id),
    watchCancel: (id, cancel) => store.watchCancel(id, cancel),
    clearCancel: (id) => store.clearCancel(id),
    history: (id) => store.history(id),
    checkpointAt: (id, seq) => store.checkpointAt(id, seq),
    putVersion: (version) => store.putVersion(version),
    getVersion: (hash) => store.getVersion(hash),
  };
}

async function main(argv: string[]): Promise<RunRecord> {
  const [mode, dir, runId, arg, input] = argv;
  if (!dir || !runId) throw new Error('usage: crash-child.ts run|resume|send <dir> <runId> …');
  recordRequests(dir);
  const tearAt = Number(process.env.CRASH_IN_APPEND ?? 0);
  const store = tearAt > 0 ? tearingStore(new FileStore({ dir }), dir, runId, tearAt) : new FileStore({ dir });
  const limit = Number(process.env.CRASH_AFTER_CALLS ?? 0);
  const hooks = { store, limiter: hostLimiter(), onCall: watchCalls(dir, limit) };
  if (mode === 'run') {
    if (!arg || input === undefined) throw new Error('run needs a workflow module and an input');
    const { workflow, modulePath } = await loadWorkflow(arg);
    return runWorkflow({ ...hooks, workflow, modulePath, input: JSON.parse(input), runId, seed: 7 });
  }
  // No workflow given: it is loaded from the module path stored in the run file, as `harness resume` does.
  if (mode === 'resume') return resumeWorkflow({ ...hooks, runId });
  if (mode === 'send' && arg) return sendToRun({ ...hooks, runId, event: { type: arg } });
  throw new Error(`unknown mode ${String(mode)}`);
}

main(process.argv.slice(2)).then(
  (record) => {
    // Written synchronously so exit cannot cut it short on a pipe.
    writeSync(1, `${JSON.stringify({ status: record.status })}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    writeSync(2, `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
