// With no Ollama at the default address, `harness run` says once that `harness simulate` (or OLLAMA_HOST) is the way on.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { noOllamaHint } from '../../src/cli/no-ollama.ts';
import { fixture, harness, tempDir } from './harness.ts';

/** True when nothing listens on the default Ollama port here (another process may run a simulator there). */
function defaultPortRefuses(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(11434, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('the hint when no Ollama answers', { timeout: 90_000 }, () => {
  it('is given for the default address refusing, never for a host the user chose', () => {
    expect(noOllamaHint('http://127.0.0.1:11434', 'cannot connect to Ollama at http://127.0.0.1:11434: connection refused')).toMatch(/harness simulate.*OLLAMA_HOST|OLLAMA_HOST.*harness simulate/);
    expect(noOllamaHint('http://gpu1:11434', 'cannot connect to Ollama at http://gpu1:11434: connection refused')).toBeNull();
    expect(noOllamaHint('http://127.0.0.1:11434', 'Ollama answered 500')).toBeNull();
  });

  const cases: [string, string[]][] = [
    ['from the model check', []],
    ['from the first refused call', ['--skip-model-check']],
  ];
  for (const [from, flags] of cases) it(`\`harness run\` prints it once, ${from}`, async (context) => {
    if (!(await defaultPortRefuses())) {
      console.warn('SKIPPING: something listens on 127.0.0.1:11434, so no connection is refused there');
      context.skip();
      return;
    }
    const env = { ollamaHost: '', snapshots: tempDir() };
    // --park-after 1: the run parks at its first refusal (exit 75) rather than retrying for minutes.
    const result = await harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}', '--park-after', '1', ...flags], env, { OLLAMA_HOSTS: '' });
    expect(result.code).toBe(75);
    const said = `${result.stdout}${result.stderr}`.match(/^hint: no Ollama answers at http:\/\/127\.0\.0\.1:11434.*$/gm) ?? [];
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('run `harness simulate` in another terminal');
    expect(said[0]).toContain('set OLLAMA_HOST to use another');
  });
});
