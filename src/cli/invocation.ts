// How the user reaches `harness` from their shell, for the follow-up commands we print: `harness` or `npx harness`.
import { existsSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';

/**
 * `npx harness` when this process was started from a package installed in a project (the script path runs through
 * node_modules: `npx harness`, an npm script, ./node_modules/.bin/harness) and no `harness` is on the user's PATH
 * (npm puts node_modules/.bin there only for its own child processes, so those entries do not count); else
 * `harness` (a global install, a linked checkout, `node bin/harness.js` in a clone).
 */
export function harnessCommand(script: string | undefined = process.argv[1], env: NodeJS.ProcessEnv = process.env): string {
  if (script === undefined || !script.split(/[\\/]/).includes('node_modules')) return 'harness';
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && !dir.endsWith(`node_modules${sep}.bin`))
    .some((dir) => existsSync(join(dir, 'harness')));
  return onPath ? 'harness' : 'npx harness';
}
