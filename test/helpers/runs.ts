// Setup for tests that run a real workflow against a simulator: one temp store dir per file, one simulator per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/testing/index.ts';

export interface ModelRuns {
  /** Starts this test's simulator, points OLLAMA_HOST at it (workflows read it), and opens the file's store. */
  start(options: SimulatorOptions): Promise<{ sim: Simulator; store: FileStore }>;
  /** The simulator started in the current test, if any. */
  readonly sim: Simulator | undefined;
}

/**
 * Registers the hooks: a temp dir (named with `prefix`) made before and removed after the file's tests, the
 * simulator closed after each test, and OLLAMA_HOST restored to what it was once the file is done.
 */
export function useModelRuns(prefix: string): ModelRuns {
  let sim: Simulator | undefined;
  let dir = '';
  const savedHost = process.env.OLLAMA_HOST;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  afterAll(() => {
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    async start(options) {
      const started = await startSimulator(options);
      sim = started;
      process.env.OLLAMA_HOST = started.url;
      return { sim: started, store: new FileStore({ dir }) };
    },
    get sim() {
      return sim;
    },
  };
}
