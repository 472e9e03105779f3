// Refuses a zod 3 schema where the harness takes one, naming the zod the user's project has installed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HarnessError } from '../errors.ts';

/** A zod 3 schema given where the harness needs zod 4 (whose schemas carry `_zod`). */
export class ZodVersionError extends HarnessError {
  override name = 'ZodVersionError';
}

/** The version of the nearest node_modules/zod above `fromDir` (the user's project), if any. */
export function installedZodVersion(fromDir: string = process.cwd()): string | undefined {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', 'zod', 'package.json');
    if (existsSync(file)) {
      try {
        const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
        return typeof version === 'string' ? version : undefined;
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** zod 3's schemas have `_def` and no `_zod`; zod 4's (classic, mini, or `zod/v4` of zod 3.25) all have `_zod`. */
function isZod3Schema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '_def' in value && !('_zod' in value);
}

/** Throws ZodVersionError when `value` is a zod 3 schema; `where` names the place (`modelStep "extract" schema`). */
export function assertZod4Schema(value: unknown, where: string): void {
  if (!isZod3Schema(value)) return;
  const version = installedZodVersion();
  // The installed version is named only when it explains the schema; else the schema came from another copy of zod.
  const found = version?.startsWith('3.') ? `zod@${version} is installed` : 'made with a copy of zod 3';
  throw new ZodVersionError(
    'INVALID_CONFIG',
    `xstate-llm-harness needs zod 4 schemas (${where} is a zod 3 schema: ${found}); upgrade zod (npm install zod@^4)`,
  );
}
