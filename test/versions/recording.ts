// A simulator for the version tests: answers every prompt, records each (the last user message) in order, can hold some.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';

export interface Recording {
  sim: Simulator;
  /** Every prompt asked, in order. */
  prompts: string[];
  /** The prompts `hold` matched, as they arrived (each waits for `hold.until` before it is answered). */
  held: string[];
}

/** `prompts`: the list to record into (default a new one). */
export async function recordingSimulator(hold?: { match: string; until: Promise<void> }, prompts: string[] = []): Promise<Recording> {
  const held: string[] = [];
  const sim = await startSimulator({
    script: {
      '*': async (req) => {
        const prompt = req.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
        prompts.push(prompt);
        if (hold && prompt.includes(hold.match)) {
          held.push(prompt);
          await hold.until;
        }
        return JSON.stringify({ answer: `re ${prompt}` });
      },
    },
  });
  return { sim, prompts, held };
}

/**
 * One recording simulator for a whole test file, set as OLLAMA_HOST while it runs, and a temp directory removed after:
 * registers its own beforeAll and afterAll. `prompts` is the live list (empty it between tests to look at one test's).
 */
export function fileFixture(prefix: string): { dir: string; prompts: string[]; url: () => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const prompts: string[] = [];
  let sim: Simulator | undefined;
  const savedHost = process.env.OLLAMA_HOST;
  beforeAll(async () => {
    sim = (await recordingSimulator(undefined, prompts)).sim;
    process.env.OLLAMA_HOST = sim.url;
  });
  afterAll(async () => {
    process.env.OLLAMA_HOST = savedHost;
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, prompts, url: () => sim?.url ?? '' };
}
