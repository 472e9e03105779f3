import { defineConfig } from 'vitest/config';

/**
 * `npm run test:quick`: one module at a time, in process — no PostgreSQL, Redis or browser, no child processes, no
 * npm installs. What changes the most (steps, scorers, the model client, checks) is covered in well under a minute.
 */
const quick = ['check', 'definition', 'llm', 'score', 'steps', 'util'].map((dir) => `test/${dir}/**/*.test.ts`);
/** The package as users install it: npm pack, installs from a tarball, a directory and a git URL, their projects. */
const packageTests = 'test/package/**/*.test.ts';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    // A busy machine makes setup and teardown slow (a directory of installed packages takes a while to remove):
    // hooks get room to finish instead of failing the test.
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      // Files share a worker's module cache (isolate: false): most of the quick run was each file importing xstate,
      // zod and the harness again (103 s vs 30 s at load 20 on 2 cores). These tests restore what they change.
      { extends: true, test: { name: 'quick', include: quick, isolate: false } },
      { extends: true, test: { name: 'rest', include: ['test/**/*.test.ts'], exclude: [...quick, packageTests] } },
      {
        extends: true,
        test: {
          name: 'package',
          include: [packageTests],
          // One `npm pack` for every file; the files one after another, so their npm installs do not compete.
          globalSetup: ['test/package/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 20 * 60_000,
          hookTimeout: 20 * 60_000,
        },
      },
    ],
  },
});
