import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelHost } from '../../src/cli/host-arg.ts';
import { fixture, harness, inProcess, tempDir, type Env } from './harness.ts';

const run = ['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}', '--run-id', 'never'];

const malformed: [string, string][] = [
  ['http://', 'names no host'],
  [':99999', 'has an invalid port "99999"'],
  ['ht!tp://x', 'must use http:// or https://'],
  ['host:port:extra', 'is not a valid host'],
  ['ftp://models.example', 'must use http:// or https://'],
  ['http://h:80?x=1', 'has an invalid port "80?x=1"'],
];

describe('a malformed OLLAMA_HOST', { timeout: 60_000 }, () => {
  it('is refused with exit 2 and one line before the run file (or the snapshots directory) is created', async () => {
    const env: Env = { ollamaHost: 'unused', snapshots: join(tempDir(), 'runs') };
    for (const [host, problem] of malformed) {
      const result = await inProcess(run, env, { OLLAMA_HOST: host });
      expect(result.code, host).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`harness: OLLAMA_HOST ${JSON.stringify(host)} ${problem}; expected [http[s]://]host[:port], e.g. http://127.0.0.1:11434\n`);
    }
    const spawned = await harness(run, { ...env, ollamaHost: 'http://' });
    expect(spawned.code).toBe(2);
    expect(spawned.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(existsSync(env.snapshots)).toBe(false);
  });

  it('never shows the credentials a malformed host carries', async () => {
    const env: Env = { ollamaHost: 'unused', snapshots: join(tempDir(), 'runs') };
    for (const host of ['http://user:s3cret@models.example:99999', 'ftp://user:s3cret@models.example']) {
      const result = await inProcess(run, env, { OLLAMA_HOST: host });
      expect(result.code).toBe(2);
      expect(result.stderr).not.toContain('s3cret');
      expect(result.stderr).toMatch(/^harness: OLLAMA_HOST "[^"]*\*\*\*@[^"]*" [^\n]*\n$/);
    }
    const list = await inProcess(run, env, { OLLAMA_HOSTS: 'a:11434,http://u:s3cret@b:99999' });
    expect(list.code).toBe(2);
    expect(list.stderr).not.toContain('s3cret');
    expect(existsSync(env.snapshots)).toBe(false);
  });
});

describe('modelHost', () => {
  it('accepts what Ollama accepts, and credentials', () => {
    expect(modelHost('', 'OLLAMA_HOST')).toBe('http://127.0.0.1:11434');
    expect(modelHost('localhost', 'OLLAMA_HOST')).toBe('http://localhost:11434');
    expect(modelHost(':11500', 'OLLAMA_HOST')).toBe('http://127.0.0.1:11500');
    expect(modelHost('https://models.example/ollama/', 'OLLAMA_HOST')).toBe('https://models.example:443/ollama');
    expect(modelHost('[::1]:5', 'OLLAMA_HOST')).toBe('http://[::1]:5');
    // Credentials are accepted (the client sends them as Basic auth); only messages mask them.
    expect(modelHost('http://user:pw@h:1', 'OLLAMA_HOST')).toContain('@h:1');
    // A password may hold `/`, `?`, `#` or `@`: the userinfo runs to the last `@`, so none of it is taken for the host.
    expect(modelHost('http://admin:s3cr/et@gpu2:11434', 'OLLAMA_HOST')).toBe('http://admin:s3cr%2Fet@gpu2:11434');
    expect(modelHost('http://admin:a?b#c@d@gpu2', 'OLLAMA_HOST')).toBe('http://admin:a%3Fb%23c%40d@gpu2:80');
  });
});
