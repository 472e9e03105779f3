// `harness inspect`: flags, the printed URL with its token, serving until stopped — in-process and through the bin.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveInspector } from '../../src/cli/commands/inspect.ts';
import { UsageError, type CliIO } from '../../src/cli/command.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function memoryIO(cwd: string): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, env: {}, cwd, out: () => out, err: () => err };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!condition()) throw new Error(`gave up waiting for ${what}`);
}

describe('harness inspect', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-cmd-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the page URL with its token, serves the runs directory, and closes when stopped', async () => {
    const io = memoryIO(dir);
    const stop = new AbortController();
    const served = serveInspector(['--port', '0', '--snapshots', 'runs'], io, stop.signal);
    await until(() => io.out().includes('?token='), 'the printed URL');
    const pageUrl = /Open (\S+)/.exec(io.out())?.[1] ?? '';
    expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}/);
    expect(io.out()).toContain(join(dir, 'runs'));
    const reply = await fetch(new URL('/api/runs', pageUrl));
    expect(await reply.json()).toEqual({ runs: [], unreadable: [], total: 0, workflows: [], statuses: [] });
    stop.abort();
    expect(await served).toBe(0);
    await expect(fetch(new URL('/api/runs', pageUrl))).rejects.toThrow();
  });

  it('refuses bad flags as usage errors', async () => {
    const io = memoryIO(dir);
    const stop = new AbortController();
    stop.abort();
    await expect(serveInspector(['--port', '70000'], io, stop.signal)).rejects.toThrow(UsageError);
    await expect(serveInspector(['--port', 'x'], io, stop.signal)).rejects.toThrow(UsageError);
    await expect(serveInspector(['extra'], io, stop.signal)).rejects.toThrow(UsageError);
    await expect(serveInspector(['--host', ''], io, stop.signal)).rejects.toThrow(UsageError);
  });

  it('runs as `harness inspect` and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/harness.js'), 'inspect', '--port', '0', '--snapshots', dir], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => out.includes('?token='), 'the printed URL');
      const pageUrl = /Open (\S+)/.exec(out)?.[1] ?? '';
      const page = await fetch(pageUrl);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('harness inspector');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 20_000);
});
