// The inspector's evals: the list of evals in a directory, one eval's report (live while it runs), and its case runs.
import { join } from 'node:path';
import { evalIdPattern, listEvals, paths, readManifest, readResults, type EvalManifest } from '../eval/eval-dir.ts';
import { buildReport } from '../eval/report.ts';
import { assertRunId, FileStore } from '../store/index.ts';
import { callDetail } from './call-detail.ts';
import { historyView } from './fork.ts';
import { HttpError } from './http.ts';
import { runView } from './view.ts';

/** A row of the evals list. */
export interface EvalListing {
  evalId: string;
  workflowId: string;
  createdAt: string;
  cases: number;
  variants: { name: string; description: string; finished: number; pass: number; passRate: number }[];
}

/**
 * Answers `GET /api/evals/…` (`parts` after `evals`) from the evals directory: [] lists, [id] reports, [id, 'runs',
 * runId, …] reads a case's run from the eval's own store (read-only: an eval's runs are the eval's to drive).
 */
export async function evalsApi(evalsDir: string, parts: readonly string[]): Promise<unknown> {
  if (parts.length === 0) return { dir: evalsDir, evals: listEvals(evalsDir).map((manifest) => listing(evalsDir, manifest)) };
  const [evalId = '', section, runIdPart, detail, callId] = parts;
  if (!evalIdPattern.test(evalId)) throw new HttpError(400, `not an eval id: ${evalId}`);
  const dir = join(evalsDir, evalId);
  const manifest = readManifest(dir);
  if (!manifest) throw new HttpError(404, `no eval ${evalId} in ${evalsDir}`);
  if (section === undefined) return buildReport(manifest, readResults(dir).results);
  if (section !== 'runs' || runIdPart === undefined) throw new HttpError(404, `no endpoint for eval ${evalId}: ${parts.slice(1).join('/')}`);
  const store = new FileStore({ dir: paths(dir).runs });
  const runId = assertRunId(runIdPart);
  if (detail === undefined) return { ...runView(await store.read(runId)), snapshotsDir: paths(dir).runs };
  if (detail === 'history' && callId === undefined) return historyView(store, runId);
  if (detail === 'calls' && callId !== undefined && parts.length === 5) return callDetail(await store.read(runId), callId);
  throw new HttpError(404, `no endpoint for run ${runId} of eval ${evalId}: ${parts.slice(3).join('/')}`);
}

/** An eval's row: how far each variant got and its pass rate so far, from its results alone. */
function listing(evalsDir: string, manifest: EvalManifest): EvalListing {
  const results = [...readResults(join(evalsDir, manifest.evalId)).results.values()];
  return {
    evalId: manifest.evalId,
    workflowId: manifest.workflowId,
    createdAt: manifest.createdAt,
    cases: manifest.dataset.cases.length,
    variants: manifest.variants.map((v) => {
      const mine = results.filter((r) => r.variant === v.name);
      const pass = mine.filter((r) => r.outcome === 'pass').length;
      return { name: v.name, description: v.description, finished: mine.length, pass, passRate: mine.length === 0 ? 0 : pass / mine.length };
    }),
  };
}
