// An eval's directory: eval.json (what it runs), variants/ (their modules), runs/ (a run store of its own),
// results.ndjson (a line per finished case, appended: what a resumed eval skips) and report.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStore } from '../store/index.ts';
import { EvalInputError } from './errors.ts';
import type { CaseResult } from './results.ts';

export const evalIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** What an eval runs, written once when it starts: a resumed eval must run the same. */
export interface EvalManifest {
  format: 1;
  evalId: string;
  createdAt: string;
  /** The eval file, or the workflow module when there is none. */
  source: { kind: 'eval' | 'workflow'; file: string };
  workflowId: string;
  dataset: { file: string; hash: string; cases: string[] };
  variants: { name: string; description: string; module: string; hash: string; definition: unknown }[];
}

export const paths = (dir: string) => ({
  manifest: join(dir, 'eval.json'),
  results: join(dir, 'results.ndjson'),
  report: join(dir, 'report.json'),
  runs: join(dir, 'runs'),
  variants: join(dir, 'variants'),
});

function isManifest(value: unknown): value is EvalManifest {
  return typeof value === 'object' && value !== null && Reflect.get(value, 'format') === 1 && typeof Reflect.get(value, 'evalId') === 'string'
    && Array.isArray(Reflect.get(value, 'variants'));
}

/** The manifest of the eval in `dir`; null when there is none; EvalInputError when it is not one. */
export function readManifest(dir: string): EvalManifest | null {
  const file = paths(dir).manifest;
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EvalInputError(`${file} is not an eval manifest (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isManifest(json)) throw new EvalInputError(`${file} is not an eval manifest`);
  return json;
}

/** Why `before` (an eval started earlier) cannot be resumed as `now`; null when it can. */
export function resumeConflict(before: EvalManifest, now: EvalManifest): string | null {
  if (before.source.file !== now.source.file) return `it evaluates ${before.source.file}, not ${now.source.file}`;
  if (before.dataset.hash !== now.dataset.hash) return `its dataset changed (${before.dataset.file})`;
  const names = (m: EvalManifest) => m.variants.map((v) => v.name).join(', ');
  if (names(before) !== names(now)) return `it has variants ${names(before)}, not ${names(now)}`;
  for (const [i, v] of before.variants.entries()) {
    const other = now.variants[i];
    if (other && other.description !== v.description) return `variant ${v.name} changed (${v.description} → ${other.description})`;
    if (other && other.hash !== v.hash) return `the workflow's definition changed for variant ${v.name} (${v.hash} → ${other.hash})`;
  }
  return null;
}

/** Every result line, later lines winning per (variant, case); a torn last line (a kill mid-append) is left out. */
export function readResults(dir: string): { results: Map<string, CaseResult>; validBytes: number } {
  const file = paths(dir).results;
  const results = new Map<string, CaseResult>();
  if (!existsSync(file)) return { results, validBytes: 0 };
  const text = readFileSync(file, 'utf8');
  let validBytes = 0;
  let offset = 0;
  for (const line of text.split('\n')) {
    const end = offset + Buffer.byteLength(line) + 1;
    offset = end;
    if (line.trim() === '') continue;
    let result: unknown;
    try {
      result = JSON.parse(line);
    } catch {
      break;
    }
    if (!isResult(result)) break;
    if (end > Buffer.byteLength(text)) break; // no newline after it: the append was cut short
    results.set(resultKey(result.variant, result.caseId), result);
    validBytes = end;
  }
  return { results, validBytes };
}

/** A line as `append` wrote it (its other fields are read back as written). */
function isResult(value: unknown): value is CaseResult {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'variant') === 'string' && typeof Reflect.get(value, 'caseId') === 'string'
    && typeof Reflect.get(value, 'outcome') === 'string';
}

export const resultKey = (variant: string, caseId: string) => `${variant}\u0000${caseId}`;

/** An eval's directory opened to run: results are appended one whole line at a time. */
export class EvalDir {
  readonly dir: string;
  readonly store: FileStore;
  readonly #log: FileHandle;

  private constructor(dir: string, log: FileHandle) {
    this.dir = dir;
    this.store = new FileStore({ dir: paths(dir).runs });
    this.#log = log;
  }

  /**
   * Creates the directory (manifest and variant modules) or opens the one left by an earlier start of the same eval;
   * a torn last result line is cut off so the next append starts on a line of its own.
   */
  static async open(dir: string, manifest: EvalManifest, modules: readonly { file: string; text: string }[]): Promise<EvalDir> {
    const p = paths(dir);
    if (!existsSync(p.manifest)) {
      await mkdir(p.variants, { recursive: true });
      for (const m of modules) await writeFile(m.file, m.text);
      const temp = `${p.manifest}.tmp`;
      await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`);
      await rename(temp, p.manifest); // last: a directory with eval.json is a whole eval
    }
    const { validBytes } = readResults(dir);
    if (existsSync(p.results)) await truncate(p.results, validBytes);
    return new EvalDir(dir, await open(p.results, 'a'));
  }

  async append(result: CaseResult): Promise<void> {
    await this.#log.write(`${JSON.stringify(result)}\n`);
  }

  async writeReport(report: unknown): Promise<void> {
    const p = paths(this.dir);
    await writeFile(`${p.report}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
    await rename(`${p.report}.tmp`, p.report);
  }

  async close(): Promise<void> {
    await this.#log.close();
  }
}

/** The evals in a directory of evals, newest first; a directory whose manifest cannot be read is left out. */
export function listEvals(evalsDir: string): EvalManifest[] {
  if (!existsSync(evalsDir)) return [];
  const manifests: EvalManifest[] = [];
  for (const entry of readdirSync(evalsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !evalIdPattern.test(entry.name)) continue;
    try {
      const manifest = readManifest(join(evalsDir, entry.name));
      if (manifest) manifests.push(manifest);
    } catch {
      // not an eval (or a damaged one): nothing to list
    }
  }
  return manifests.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
