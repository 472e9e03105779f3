// Small builders for store tests: temp directories, run meta, journal entries, checkpoints, timeline entries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Checkpoint, RunMeta, StoredJournalEntry, StoredVersion, TimelineEntry } from '../../src/store/index.ts';

const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-store-'));
  dirs.push(dir);
  return dir;
}

/** For afterAll: deletes every directory made by tempDir in this test file. */
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function meta(runId: string, overrides: Partial<RunMeta> = {}): RunMeta {
  return {
    runId,
    workflow: { id: 'wf', module: '/abs/wf.workflow.ts', moduleRelative: 'wf.workflow.ts', hash: 'h1', definition: { id: 'wf', states: {} } },
    input: { question: 'why?' },
    budget: { tokens: 1000 },
    seed: 7,
    createdAt: '2026-11-29T10:00:00.000Z',
    ...overrides,
  };
}

export function entry(key: string, content = `reply to ${key}`): StoredJournalEntry {
  return {
    key,
    requestHash: `rh-${key}`,
    step: 'answer',
    result: {
      content,
      model: 'm',
      tokensIn: 3,
      tokensOut: 5,
      durationMs: 10,
      ttftMs: null,
      success: true,
      retries: 0,
      score: null,
      metadata: { host: 'http://127.0.0.1:11434' },
    },
    at: '2026-11-29T10:00:01.000Z',
  };
}

export function checkpoint(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    status: 'running',
    snapshot: { status: 'active', value: 'answering', context: { n: 1 } },
    flags: [],
    usage: { tokensIn: 3, tokensOut: 5, calls: 1 },
    activeMs: 12,
    wakeAt: null,
    ...overrides,
  };
}

export function tick(event: string): TimelineEntry {
  return { at: '2026-11-29T10:00:02.000Z', actor: 'root', event, state: ['answering'] };
}

/** A workflow version record for `code`, hashed as the harness hashes it. */
export function version(code: string, overrides: Partial<StoredVersion> = {}): StoredVersion {
  return {
    hash: createHash('sha256').update(code).digest('hex'),
    workflowId: 'wf',
    code,
    definitionHash: 'h1',
    definition: { id: 'wf', states: {} },
    createdAt: '2026-12-07T10:00:00.000Z',
    ...overrides,
  };
}
