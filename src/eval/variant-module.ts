// The module each variant's runs record: it rebuilds the variant, so resume, fork and workers drive it as the eval did.
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { VariantSpec } from './types.ts';

const typeScript = /\.(?:ts|mts|cts|tsx)$/;

/** Where `variantOf` lives, beside this module (src/eval/variants.ts in a checkout, dist/eval/variants.js installed). */
const variantsModule = new URL(`./variants${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/**
 * `.mts` when the source or the harness is TypeScript (loaded through tsx), else `.mjs`: an ES module whatever
 * package.json (if any) sits above the eval's directory says.
 */
export function variantModuleExtension(source: string): '.mts' | '.mjs' {
  return typeScript.test(source) || typeScript.test(variantsModule) ? '.mts' : '.mjs';
}

/**
 * The module's text: it imports the eval or workflow file and exports `variantOf(it, name, spec)`. `spec` (JSON) is
 * given for a variant made on the command line; an eval file's own variants are read from the file.
 */
export function variantModuleSource(source: string, name: string, spec: VariantSpec | null): string {
  const args = [JSON.stringify(name), ...(spec ? [JSON.stringify(spec)] : [])].join(', ');
  return [
    `// Written by \`harness eval\`: variant ${JSON.stringify(name)} of ${source}.`,
    '// Its runs record this module, so resume, fork and workers rebuild the variant the eval ran.',
    `import { variantOf } from ${JSON.stringify(variantsModule)};`,
    `import * as source from ${JSON.stringify(pathToFileURL(source).href)};`,
    '',
    `export default variantOf(source, ${args});`,
    '',
  ].join('\n');
}
