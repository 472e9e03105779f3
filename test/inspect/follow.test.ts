// Following a store without files by polling its listing: new, changed and unreadable runs are reported, nothing twice.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pollRuns, type RunFollower } from '../../src/inspect/index.ts';
import { MemoryStore, type RunListing } from '../../src/store/index.ts';
import { checkpoint, meta } from '../store/helpers.ts';

/** A store whose listing the test sets by hand, or makes fail. */
class ListedStore extends MemoryStore {
  constructor(public listing: RunListing | Error) {
    super();
  }
  override async list(): Promise<RunListing> {
    if (this.listing instanceof Error) throw this.listing;
    return this.listing;
  }
}

let follower: RunFollower | undefined;
afterEach(() => {
  follower?.close();
  follower = undefined;
});

describe('pollRuns', () => {
  it('learns what exists first, then reports runs that appear or commit, once per change', async () => {
    const store = new MemoryStore();
    const old = await store.create(meta('old'));
    const seen: string[] = [];
    follower = pollRuns(store, (runId) => seen.push(runId), { pollMs: 20 });
    await follower.ready;
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toEqual([]);

    const fresh = await store.create(meta('fresh'));
    await vi.waitFor(() => expect(seen).toEqual(['fresh']));
    await new Promise((r) => setTimeout(r, 5));
    await old.commit(checkpoint({ status: 'waiting' }));
    await vi.waitFor(() => expect(seen).toEqual(['fresh', 'old']));
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toEqual(['fresh', 'old']);
    await Promise.all([old.close(), fresh.close()]);
  });

  it('rides out a listing that fails, and reports runs that went', async () => {
    const fake = new ListedStore({ runs: [], unreadable: [{ file: 'bad', reason: 'torn' }] });
    const seen: string[] = [];
    follower = pollRuns(fake, (runId) => seen.push(runId), { pollMs: 20 });
    await follower.ready;
    fake.listing = new Error('database away');
    await new Promise((r) => setTimeout(r, 60));
    fake.listing = { runs: [], unreadable: [] };
    await vi.waitFor(() => expect(seen).toEqual(['bad']));
  });
});
