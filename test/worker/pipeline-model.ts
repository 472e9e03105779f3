// The scripted "models" of machines/feature-pipeline.ts for the worker crash tests, and the pairing of the requests a
// process sends (simulator body hash ↔ journal request hash) so completed requests can be counted per journal call.
//
// The replies are those of test/worker/queue-crash.test.ts (which keeps its own copy, being a test file with no exports).
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestHash } from '../../src/steps/index.ts';
import type { SimRequest } from '../../src/testing/index.ts';
import { hashString } from '../../src/util/random.ts';

/** Set in a worker's environment (with `--import tsx --import <this dir>/pair-requests.ts`): where it writes its pairs. */
export const pairsDirVar = 'HARNESS_TEST_PAIRS_DIR';

/** A plan naming the run (`#n` from the feature), so every later prompt of a run differs from every other run's. */
export const planFor = (n: string) => ({
  summary: `Export orders as CSV (${n}).`,
  items: [
    { id: 'csv-writer', title: `CSV writer ${n}`, description: 'Serialise rows.', acceptance: ['quotes commas'] },
    { id: 'export-route', title: `Export route ${n}`, description: 'GET /orders.csv.', acceptance: ['sets text/csv'] },
    { id: 'export-docs', title: `Docs ${n}`, description: 'Document it.', acceptance: ['has an example'] },
  ],
});

export const inputOf = (i: number) => ({ feature: `CSV export #${i}`, context: 'TypeScript.' });

/** The journal's `requestHash`, from a request as the simulator received it. */
export const simRequestHash = (req: SimRequest) => requestHash(req.model, req.messages.map((m) => ({ role: m.role as 'user', content: m.content })));
const text = (req: SimRequest, role: string) => req.messages.findLast((m) => m.role === role)?.content ?? '';

/** The pipeline's "models", answering from the prompt alone; `log` gets every request (by request hash) as it arrives. */
export function pipelineModel(log: { hash: string; at: number }[]) {
  return (req: SimRequest): string => {
    log.push({ hash: simRequestHash(req), at: Date.now() });
    const role = text(req, 'system');
    const item = /^Work item: (.*)$/m.exec(text(req, 'user'))?.[1] ?? '?';
    if (role.startsWith('You are a tech lead')) return JSON.stringify(planFor(/#\d+/.exec(text(req, 'user'))?.[0] ?? '#?'));
    if (role.startsWith('You are a software engineer')) return JSON.stringify({ files: [{ path: `src/${item}.ts`, action: 'create', content: `// ${item}\n` }], notes: `implements ${item}` });
    if (role.startsWith('You check one work item')) return JSON.stringify({ passed: true, problems: [] });
    if (role.startsWith('You review the complete implementation')) return JSON.stringify({ summary: 'All done.', ready: true, concerns: [] });
    if (role.startsWith('Write the pull request')) return JSON.stringify({ title: 'Export orders as CSV', body: 'A CSV export.' });
    throw new Error(`unexpected request: ${role.slice(0, 60)}`);
  };
}

export interface Pair {
  /** hashString of the raw body: the simulator's CompletedRequest.bodyHash. */
  body: number;
  /** The journal's requestHash of the call. */
  request: string;
}

/**
 * Wraps this process's fetch: each /api/chat body is paired with its journal request hash in `file`, written
 * synchronously before the body leaves (a SIGKILL never leaves a request the simulator saw without its pair).
 * Returns the function that puts the real fetch back.
 */
export function recordRequests(file: string): () => void {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const body = init?.body;
    if (typeof body === 'string' && String(input instanceof Request ? input.url : input).endsWith('/api/chat')) {
      const parsed = JSON.parse(body) as { model: string; messages: { role: 'user'; content: string }[] };
      const pair: Pair = { body: hashString(body), request: requestHash(parsed.model, parsed.messages.map((m) => ({ role: m.role, content: m.content }))) };
      appendFileSync(file, `${JSON.stringify(pair)}\n`);
    }
    return realFetch(input, init);
  };
  return () => {
    globalThis.fetch = realFetch;
  };
}

export const pairsFile = (dir: string, pid: number) => join(dir, `pairs-${pid}.ndjson`);

/** The pairs one process wrote (none if it sent nothing); a line cut by a kill cannot be, the write is one syscall. */
export function readPairs(file: string): Pair[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Pair);
}

/** Every process's pairs in `dir`, by pid. */
export function allPairs(dir: string): Map<number, Pair[]> {
  const byPid = new Map<number, Pair[]>();
  for (const name of readdirSync(dir)) {
    const pid = /^pairs-(\d+)\.ndjson$/.exec(name)?.[1];
    if (pid !== undefined) byPid.set(Number(pid), readPairs(join(dir, name)));
  }
  return byPid;
}
