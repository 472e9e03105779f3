// Test helpers for Ollama simulators: start them per test with automatic cleanup, and poll for server-side state.
import { afterEach } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/testing/index.ts';

/**
 * Registers an afterEach that closes every simulator started through the returned function, so a failing test
 * never leaves a server listening. Call it at the top of a test file (or inside a describe to scope it).
 */
export function useSimulators(): (options?: SimulatorOptions) => Promise<Simulator> {
  const opened: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const sim = await startSimulator(options);
    opened.push(sim);
    return sim;
  };
}

/** Polls a condition the server reaches asynchronously (e.g. noticing a closed socket); fails after `ms`. */
export async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
