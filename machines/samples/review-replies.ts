// Scripted simulator replies for reviewing sample.diff: canned specialist findings, a careless verdict from the
// small model and a careful one from the large model, and a rule-based judge that grades a verdict by the findings.
import type { ScriptedReply, SimReply, SimRequest } from '../../src/testing/index.ts';
import { synthesize } from '../../src/testing/index.ts';

type Severity = 'info' | 'warning' | 'error';
interface CannedFinding {
  file: string;
  line: number;
  severity: Severity;
  message: string;
}

const specialistReplies: Record<string, { findings: CannedFinding[]; summary: string }> = {
  correctness: {
    findings: [
      {
        file: 'src/lib/paginate.ts',
        line: 3,
        severity: 'error',
        message: 'Off by one: pages are numbered from 1 (see the comment) but start = page * size skips the first page; use (page - 1) * size.',
      },
      {
        file: 'src/routes/users.ts',
        line: 15,
        severity: 'warning',
        message: "req.query.q may be missing or an array; the query then searches for '%undefined%'. Validate q and answer 400.",
      },
      {
        file: 'src/routes/users.ts',
        line: 16,
        severity: 'warning',
        message: 'Number(req.query.page) is NaN for a non-numeric page and accepts 0 or negative pages; require a positive integer.',
      },
    ],
    summary: 'Adds GET /users with search and in-memory pagination. The paginate helper skips the first page, and the query parameters are not validated.',
  },
  security: {
    findings: [
      {
        file: 'src/routes/users.ts',
        line: 17,
        severity: 'error',
        message: "SQL injection: q is interpolated into the SQL text. Pass it as a parameter: WHERE name LIKE $1 with ['%' + q + '%'].",
      },
      {
        file: 'src/routes/users.ts',
        line: 18,
        severity: 'warning',
        message: "Logs every matching row, including users' email addresses (personal data). Log the query and the row count only.",
      },
    ],
    summary: "The new search endpoint builds SQL from user input, which is injectable, and writes users' email addresses to the log.",
  },
  style: {
    findings: [
      { file: 'src/routes/users.ts', line: 4, severity: 'info', message: 'fs is imported but never used; remove the import.' },
      { file: 'src/routes/users.ts', line: 19, severity: 'info', message: 'Use const instead of var: rows is never reassigned.' },
      { file: 'src/lib/paginate.ts', line: 0, severity: 'info', message: 'New helper without tests; add tests for the first and the last page.' },
    ],
    summary: 'A small, readable change: one unused import, a var, and no tests for the new paginate helper.',
  },
};

/** What a hurried small model writes: the style nits, none of the errors. */
const carelessVerdict = {
  decision: 'comment',
  summary: 'Adds a user search endpoint and a paginate helper. Mostly fine: remove the unused fs import, prefer const over var, and add tests for paginate.',
  mustFix: [],
};

const carefulVerdict = {
  decision: 'request-changes',
  summary:
    'The new GET /users endpoint is injectable: src/routes/users.ts interpolates q into SQL. src/lib/paginate.ts skips ' +
    'the first page. Also validate q and page, stop logging email addresses, and remove the unused import and the var.',
  mustFix: [
    'src/routes/users.ts:17 SQL injection: pass q as a query parameter',
    'src/lib/paginate.ts:3 off by one: start must be (page - 1) * size',
  ],
};

const between = (text: string, tag: string): string | undefined => {
  const start = text.indexOf(`<${tag}>`);
  const end = text.lastIndexOf(`</${tag}>`);
  return start >= 0 && end > start ? text.slice(start + tag.length + 2, end).trim() : undefined;
};

function parse<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

const system = (req: SimRequest) => req.messages.find((m) => m.role === 'system')?.content ?? '';
const lastUser = (req: SimRequest) => req.messages.findLast((m) => m.role === 'user')?.content ?? '';

/** The judge's requests are recognised by the judge scorer's own system prompt. */
export function isJudgeRequest(req: SimRequest): boolean {
  return system(req).startsWith('You are a strict, impartial evaluator');
}

/**
 * Grades a verdict as the rubric asks, by rule: every error-severity finding must be in mustFix (by file:line) and
 * the decision must be request-changes when there is one. 10 minus 3 per miss, at least 1.
 */
export function judgeByRules(req: SimRequest): { score: number; reasons: string[] } {
  const text = system(req);
  const findings = parse<CannedFinding[]>(between(between(text, 'task') ?? '', 'findings')) ?? [];
  const verdict = parse<{ decision?: string; mustFix?: string[] }>(between(text, 'response'));
  if (!verdict) return { score: 0, reasons: ['the response is not a JSON verdict'] };
  const errors = findings.filter((f) => f.severity === 'error');
  const mustFix = verdict.mustFix ?? [];
  const reasons: string[] = [];
  let score = 10;
  for (const e of errors) {
    if (!mustFix.some((line) => line.includes(`${e.file}:${e.line}`))) {
      score -= 3;
      reasons.push(`mustFix omits the error at ${e.file}:${e.line} (${e.message.split(':')[0]})`);
    }
  }
  if (errors.length > 0 && verdict.decision !== 'request-changes') {
    score -= 3;
    reasons.push(`decision is '${verdict.decision}' although ${errors.length} error-severity finding(s) stand`);
  }
  if (reasons.length === 0) reasons.push('the decision follows from the findings and every error is in mustFix');
  return { score: Math.max(1, score), reasons };
}

/**
 * A valid instance of the request's format, for requests this script does not know. Its random source is a constant:
 * the same reply every time, from public API only (this file ships as an example).
 */
function synthesized(req: SimRequest): string {
  const random = () => 0.5;
  return typeof req.format === 'object' && req.format !== null ? JSON.stringify(synthesize(req.format, random)) : 'Simulated reply.';
}

/**
 * The script for the simulator's '*' model. `smallModel` writes the careless verdict; every other model the careful
 * one. Specialists are told apart by the `Specialty:` line of their prompt.
 */
export function sampleReviewScript(options: { smallModel?: string } = {}): ScriptedReply {
  const smallModel = options.smallModel ?? 'qwen2.5-coder:7b';
  return (req: SimRequest): string | SimReply => {
    if (isJudgeRequest(req)) return JSON.stringify(judgeByRules(req));
    const specialty = /^Specialty: (\w+)/.exec(lastUser(req))?.[1];
    const canned = specialty ? specialistReplies[specialty] : undefined;
    if (canned) return JSON.stringify(canned);
    if (system(req).startsWith('You are the lead reviewer')) {
      return JSON.stringify(req.model === smallModel ? carelessVerdict : carefulVerdict);
    }
    return synthesized(req);
  };
}
