// versionLoadMs: loading a stored workflow version in a warm process (store read, imports linked, module evaluated), with
// importing the same module by path (what workers did before versions) side by side; versionBytes: what one version adds
// to a file store.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importModule } from '../src/runtime/import-module.ts';
import { loadVersion, loadWorkflow, storeVersion } from '../src/runtime/load.ts';
import { FileStore } from '../src/store/index.ts';
import { buildVersion } from '../src/versions/index.ts';
import { progress, type BenchOptions } from './env.ts';
import { figure, type BenchResult } from './report.ts';
import { median, timed } from './stats.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

/** machines/code-review.ts with its imports of the harness made absolute, plus a line that makes each copy new code. */
function reviewVariant(dir: string, n: number): string {
  const source = readFileSync(join(root, 'machines/code-review.ts'), 'utf8').replaceAll("'../src/", `'${join(root, 'src')}/`);
  const file = join(dir, `review-${n}.workflow.mts`);
  writeFileSync(file, `${source}\nexport const variant = ${n};\n`);
  return file;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const rounds = quick ? 4 : 10;
  // The module copies live in the checkout, where a by-path import finds xstate (from /tmp it would not: a stored
  // version has no such limit); the store is in the temp directory.
  const dir = mkdtempSync(join(root, 'bench', '.versions-'));
  const runs = mkdtempSync(join(tmpdir(), 'bench-versions-'));
  const store = new FileStore({ dir: runs });
  try {
    // Warm: the harness, xstate, zod, esbuild and tsx already loaded, as in a worker that has driven runs.
    const base = await loadWorkflow(reviewVariant(dir, 0));
    const baselines: number[] = [];
    const candidates: number[] = [];
    let n = 1;
    progress('versions', `3 repetitions of ${rounds} rounds: a new version loaded from the store vs the same module imported by path`);
    for (let rep = 0; rep < 3; rep++) {
      const byPath: number[] = [];
      const byVersion: number[] = [];
      for (let round = 0; round < rounds; round++) {
        // Each side gets code it has never loaded (a module is evaluated once per URL), in alternating order.
        const pathFile = reviewVariant(dir, n++);
        const versionFile = reviewVariant(dir, n++);
        // Built and stored, never evaluated here (as `harness submit` does in its own process); every variant has the
        // same machine, so the warm one gives the definition stored with it.
        const version = await buildVersion(versionFile);
        await storeVersion(store, { workflow: base.workflow, version });
        const pathSide = () => timed(() => importModule(pathFile, 1));
        const versionSide = () => timed(() => loadVersion(store, version.hash));
        if (round % 2 === 0) {
          byPath.push(await pathSide());
          byVersion.push(await versionSide());
        } else {
          byVersion.push(await versionSide());
          byPath.push(await pathSide());
        }
      }
      baselines.push(median(byPath));
      candidates.push(median(byVersion));
    }
    await storeVersion(store, base);
    const versionBytes = statSync(join(store.dir, '.versions', `${base.version.hash}.json`)).size;
    return {
      figures: {
        versionLoadMs: figure(candidates, {
          unit: 'ms',
          goal: null,
          measure: 'a stored version (machines/code-review.ts) loaded in a warm process: store read, imports linked, evaluated; baseline: the module imported by path',
          baselines,
          candidates,
        }),
        versionBytes: figure([versionBytes, versionBytes, versionBytes], {
          unit: 'bytes',
          goal: null,
          measure: 'what one version of machines/code-review.ts adds to a file store (.versions/<hash>.json: code and definition), once per version',
        }),
      },
      notes: [
        `versionLoadMs: median of ${rounds} loads per repetition; the baseline imports the same module by path through tsx (the pre-version worker).`,
        `versionBytes: stored once per hash whatever the number of runs on it (the bundle is ${base.version.code.length} bytes of it).`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(runs, { recursive: true, force: true });
  }
}
