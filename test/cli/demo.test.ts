// harness demo from a checkout: machines/code-review.ts on its sample diff against the in-process simulator.
import { describe, expect, it } from 'vitest';
import { harness, tempDir } from './harness.ts';

describe('harness demo', { timeout: 120_000 }, () => {
  it('reviews the sample diff offline, explains the escalation, and points at the run with the same --snapshots', async () => {
    const snapshots = tempDir();
    // OLLAMA_HOST points nowhere: the demo serves its own simulator.
    const demo = await harness(['demo', '--snapshots', snapshots], { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() });
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('Replies are simulated by the built-in Ollama simulator');
    expect(demo.stdout).toMatch(/^ {2}decision {3}request-changes {2}\(judge score 1\.00\)$/m);
    expect(demo.stdout).toMatch(/^ {2}qwen2\.5-coder:7b .*below 0\.7: escalated$/m);
    expect(demo.stdout).toMatch(/^ {2}qwen2\.5-coder:32b .*accepted$/m);
    expect(demo.stdout).toMatch(new RegExp(`^ {2}npx harness show demo-review-\\S+ --snapshots ${snapshots.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
  });

  it('takes no arguments', async () => {
    const demo = await harness(['demo', 'extra'], { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() });
    expect(demo.code).toBe(2);
    expect(demo.stderr).toMatch(/^harness: demo takes no arguments, got "extra"/);
  });
});
