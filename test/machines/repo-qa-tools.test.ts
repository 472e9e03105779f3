// repo-qa's tools one by one: confinement (`..`, absolute paths, symlinks out and in loops, NUL bytes), nothing but
// regular files opened (FIFOs, sockets), and a model-given regular expression that backtracks catastrophically runs
// off the event loop and ends at its deadline.
import { join } from 'node:path';
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { listFiles, readFileTool, search, type RepoInput } from '../../machines/repo-qa/tools.ts';
import { toolCall, type Tool, type ToolCallOutput } from '../../src/steps/index.ts';
import { secret, useRepositories } from './repository.ts';

const repository = useRepositories();

/** One tool call as an agent makes it (the tool-call actor, deadline included), on its own. */
async function callTool<TArgs>(tool: Tool<TArgs, RepoInput>, dir: string, args: Record<string, unknown>, timeoutMs?: number): Promise<ToolCallOutput> {
  const actor = createActor(toolCall(tool, timeoutMs !== undefined ? { timeoutMs } : {}), { input: { step: 'answer', callKey: 'p.t1.c0', arguments: args, input: { dir } } });
  actor.start();
  return toPromise(actor);
}

describe('repo-qa tools: confinement', () => {
  it('refuses .., absolute paths elsewhere, symlinks out, symlink loops and NUL bytes, and never reads outside', async () => {
    const { dir, outside } = await repository();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ path: '../outside/secret.txt' }, /^error: refused: .*"\.\."/],
      [{ path: 'src/../../outside/secret.txt' }, /^error: refused: .*"\.\."/],
      [{ path: join(outside, 'secret.txt') }, /^error: refused: .*outside the directory/],
      [{ path: '/etc/passwd' }, /^error: refused: .*outside the directory/],
      [{ path: 'link-out.txt' }, /^error: refused: .*symlink/],
      [{ path: 'dir-out/secret.txt' }, /^error: refused: .*symlink/],
      [{ path: 'loop-a' }, /^error: refused: .*symlink loop/],
      [{ path: 'src/server.ts\0../../outside/secret.txt' }, /^error: refused: .*NUL/],
    ];
    for (const [args, expected] of cases) {
      for (const tool of [readFileTool, listFiles, search]) {
        const result = await callTool(tool, dir, tool === search ? { pattern: 'SECRET', ...args } : args);
        expect(result.ok, `${tool.name} ${JSON.stringify(args)}`).toBe(false);
        expect(result.content, `${tool.name} ${JSON.stringify(args)}`).toMatch(expected);
        expect(result.content).not.toContain(secret);
      }
    }
    // An absolute path inside the directory is fine.
    expect((await callTool(readFileTool, dir, { path: join(dir, 'src/server.ts'), startLine: 3, endLine: 3 })).content).toBe('3: export const port = 8080;');
  });

  it('reads only regular files: a FIFO or a socket is refused at once, never opened', async () => {
    const { dir } = await repository();
    for (const path of ['src/pipe', 'src/sock']) {
      const result = await callTool(readFileTool, dir, { path });
      expect(result.content).toBe(`error: refused: "${path}" is not a regular file`);
    }
  });

  it('list_files and search skip FIFOs, sockets, loops and symlinks out: search over them returns', async () => {
    const { dir } = await repository();
    const listing = (await callTool(listFiles, dir, {})).content.split('\n');
    expect(listing).toEqual(expect.arrayContaining(['src/', 'src/server.ts', 'src/slow.txt']));
    for (const hidden of ['src/pipe', 'src/sock', 'loop-a', 'loop-b', 'link-out.txt', 'dir-out']) expect(listing).not.toContain(hidden);

    const found = await callTool(search, dir, { pattern: 'port =', path: 'src' });
    expect(found).toMatchObject({ ok: true, content: 'src/server.ts:3: export const port = 8080;' });
    const secretSearch = await callTool(search, dir, { pattern: 'SECRET' });
    expect(secretSearch.content).toBe('no matches');
  });
});

describe('repo-qa search: a model-given regular expression', () => {
  it('runs off the event loop: timers tick while ^(a+)+$ backtracks, and the call ends at its deadline', async () => {
    const { dir } = await repository();
    let ticks = 0;
    let ticksAtDeadline = -1;
    const timer = setInterval(() => (ticks += 1), 5);
    try {
      const deadlineMs = 1500;
      // Counts the ticks seen up to the deadline itself: the tool's deadline and this tick counter share one event loop.
      const watch = setTimeout(() => (ticksAtDeadline = ticks), deadlineMs);
      const result = await callTool(search, dir, { pattern: '^(a+)+$', regex: true, path: 'src' }, deadlineMs);
      clearTimeout(watch);
      expect(result).toMatchObject({ ok: false, content: `error: tool search timed out after ${deadlineMs} ms` });
      // The loop was free while the pattern ran: a blocked loop ticks 0 times before its deadline.
      expect(ticksAtDeadline).toBeGreaterThan(5);
    } finally {
      clearInterval(timer);
    }
  });

  it('reports a pattern that is not a valid regular expression to the model', async () => {
    const { dir } = await repository();
    const result = await callTool(search, dir, { pattern: '(unclosed', regex: true });
    expect(result.ok).toBe(false);
    expect(result.content).toMatch(/^error: Invalid regular expression/);
  });
});
