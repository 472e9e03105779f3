// The directory repo-qa's tests ask about: a small repository beside a directory holding a secret, with every way
// out or in that its tools must refuse or skip.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { tempDir } from '../steps/fixtures.ts';

export const secret = 'TOP-SECRET-OUTSIDE';

export interface Repository {
  dir: string;
  outside: string;
}

/**
 * Registers an afterAll that closes the sockets made, and returns the maker of a repository: `src/server.ts`, a
 * README, an oversized file, symlinks out (a file, a directory) and in, a symlink loop, a FIFO, a Unix socket, and a
 * line that `^(a+)+$` takes exponential time to reject.
 */
export function useRepositories(): () => Promise<Repository> {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));
  return async () => {
    const base = tempDir();
    const dir = join(base, 'repo');
    const outside = join(base, 'outside');
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), `${secret}\n`);
    writeFileSync(join(dir, 'src/server.ts'), ['import http from "node:http";', '', 'export const port = 8080;', 'http.createServer().listen(port);'].join('\n'));
    writeFileSync(join(dir, 'src/slow.txt'), `${'a'.repeat(40)}b\n`);
    writeFileSync(join(dir, 'README.md'), '# demo\nA tiny server.\n');
    writeFileSync(join(dir, 'big.log'), 'x'.repeat(300 * 1024));
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'link-out.txt'));
    symlinkSync(outside, join(dir, 'dir-out'));
    symlinkSync(join(dir, 'src/server.ts'), join(dir, 'link-in.ts'));
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    execFileSync('mkfifo', [join(dir, 'src/pipe')]);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(dir, 'src/sock'), resolve));
    return { dir, outside };
  };
}
