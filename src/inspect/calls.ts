// The model-call table of a run: one row per journaled call and per judge call under it, with attempt, issues, escalations.
import { placeLabel } from '../steps/labels.ts';
import { isCallEntry } from '../steps/services.ts';
import type { StoredCall, StoredJournalEntry } from '../store/index.ts';

export interface CallRow {
  /** Where the row's detail is: `/api/runs/:id/calls/<id>` (`3` for journal entry 3, `3.j0` for its first judge call). */
  id: string;
  /** A step's own call, or a call a judge scorer made to grade one (listed right under it). */
  kind: 'call' | 'judge';
  key: string;
  /** The model step's id (`review`); fan-out items and sub-agents share it, `label` tells them apart. */
  step: string;
  /** Where the step ran, for people: sub-agents and fan-out items, then the step (`security/review`, `work[2]/implement`). */
  label: string;
  /** The machine that invoked the step (`root`, `root/security`, `root/work/work.2`). */
  actor: string;
  model: string;
  /** Attempt on this model, 1-based, from the journal key (`…:<pass>.m<rung>.a<attempt>`); null for another shape. */
  attempt: number | null;
  /** Which entry of this step it was (1 for the first; a loop back into the step makes 2, …); null for another shape. */
  pass: number | null;
  tokensIn: number;
  tokensOut: number;
  ttftMs: number | null;
  durationMs: number;
  score: number | null;
  success: boolean;
  /** `path: message` of each validation problem of the reply. */
  issues: string[];
  errorKind: string | null;
  /** The model this step used before, when this call is the first after a change of model (an escalation). */
  escalatedFrom: string | null;
  /** Calls a judge scorer made for this one. */
  judgeCalls: number;
  /** For a judge's call: the id of the row it graded. */
  of: string | null;
  at: string;
  /** The epoch of the session that journaled it (null for entries written before epochs were stored). */
  epoch: number | null;
}

/** Where a journaled call ran, read from its key; null when the key has neither known shape. */
export interface CallPlace {
  /** Path of the machine that invoked the step. */
  actor: string;
  /** Path of the step's own machine (the same as `actor` in first-release runs, where a step was not a machine). */
  stepActor: string;
  /** What tells one entry of the step from the next: the step's pass. */
  pass: string;
  rung: number;
  attempt: number;
  /** Set on a try after the attempt's earlier tries were lost to an outage (`….a<attempt>.o<try>`). */
  outageTry?: number;
  label: string;
}

// A step is a child machine: `root/…/<step>/<call>:<pass>.m<rung>.a<attempt>`, the pass a random token per entry; a
// try after an outage adds `.o<try>`.
const stepKey = /^(.*):([0-9A-Za-z]+)\.m(\d+)\.a(\d+)(?:\.o(\d+))?$/;
// A scorer's call (a judge's) is journaled under the call it graded: `<graded key>/judge.<request hash>[.<n>]`.
const judgeKey = /^(.+)\/judge\.[0-9a-f]+(?:\.\d+)?$/;

/** The key of the call a judge's call graded; null for any other call. */
export function gradedKeyOf(key: string): string | null {
  return judgeKey.exec(key)?.[1] ?? null;
}
// First-release runs: the call was the workflow's own child, `root/…/<call>:<step>.p<pass>.m<rung>.a<attempt>`.
const firstReleaseKey = /^(.*):(?:.*\.)?p(\d+)\.m(\d+)\.a(\d+)$/;

export function callPlace(entry: Pick<StoredJournalEntry, 'key' | 'step'>): CallPlace | null {
  const current = stepKey.exec(entry.key);
  if (current && !firstReleaseKey.test(entry.key)) {
    const path = (current[1] as string).split('/');
    if (path.length < 3) return null; // root / step / call at least
    const stepPath = path.slice(0, -1);
    return {
      actor: path.slice(0, -2).join('/'),
      stepActor: stepPath.join('/'),
      pass: current[2] as string,
      rung: Number(current[3]),
      attempt: Number(current[4]),
      ...(current[5] !== undefined ? { outageTry: Number(current[5]) } : {}),
      label: placeLabel(path.slice(1, -2), entry.step, path.at(-2)),
    };
  }
  const old = firstReleaseKey.exec(entry.key);
  if (old) {
    const path = (old[1] as string).split('/');
    const actor = path.length > 1 ? path.slice(0, -1).join('/') : (path[0] as string);
    return {
      actor,
      stepActor: actor,
      pass: old[2] as string,
      rung: Number(old[3]),
      attempt: Number(old[4]),
      label: placeLabel(path.slice(1, -1), entry.step),
    };
  }
  return null;
}

export function issuesOf(metadata: Record<string, unknown>): string[] {
  const issues = metadata.issues;
  if (!Array.isArray(issues)) return [];
  return issues.map((issue: unknown) => {
    if (typeof issue === 'object' && issue !== null) {
      const { path, message } = issue as { path?: unknown; message?: unknown };
      return path ? `${String(path)}: ${String(message)}` : String(message);
    }
    return String(issue);
  });
}

export function errorKindOf(metadata: Record<string, unknown>): string | null {
  const error = metadata.error;
  if (typeof error === 'object' && error !== null && typeof (error as { kind?: unknown }).kind === 'string') {
    return (error as { kind: string }).kind;
  }
  return null;
}

/** A judge's call and where it is journaled: its own entry (newer runs), or inside the entry it graded (`<id>.j<n>`). */
interface JudgeCall {
  call: StoredCall;
  id: string;
  key: string;
  at: string;
  epoch: number | null;
}

/** The row of a judge's call, under the call it graded: `correctness/review · judge`. */
function judgeRow(parent: CallRow, judge: JudgeCall, index: number, count: number): CallRow {
  const { call } = judge;
  return {
    ...parent,
    id: judge.id,
    kind: 'judge',
    key: judge.key,
    of: parent.id,
    label: `${parent.label} · judge${count > 1 ? ` ${index + 1}` : ''}`,
    model: call.model,
    tokensIn: call.tokensIn,
    tokensOut: call.tokensOut,
    ttftMs: call.ttftMs,
    durationMs: call.durationMs,
    score: call.score,
    success: call.success,
    issues: issuesOf(call.metadata),
    errorKind: errorKindOf(call.metadata),
    escalatedFrom: null,
    judgeCalls: 0,
    at: judge.at,
    epoch: judge.epoch,
  };
}

/** Every call of a journal: each step's call in journal order, each followed by the judges' calls that graded it. */
export function callRows(entries: readonly StoredJournalEntry[]): CallRow[] {
  const journal = entries.filter(isCallEntry); // a fan-out item's kept output is journaled too, and is no call
  // Judges' own entries, by the key of the call they graded.
  const judgesOf = new Map<string, { entry: StoredJournalEntry; index: number }[]>();
  journal.forEach((entry, index) => {
    const graded = gradedKeyOf(entry.key);
    if (graded !== null) judgesOf.set(graded, [...(judgesOf.get(graded) ?? []), { entry, index }]);
  });
  const keys = new Set(journal.map((entry) => entry.key));
  const lastModel = new Map<string, string>();
  const passes = new Map<string, string[]>();
  return journal.flatMap((entry, index) => {
    const graded = gradedKeyOf(entry.key);
    // A judge's entry is listed under the call it graded (unless that call is missing from the journal).
    if (graded !== null && keys.has(graded)) return [];
    const { result } = entry;
    const metadata: Record<string, unknown> = result.metadata;
    const place = callPlace(entry);
    let pass: number | null = null;
    let scope = `?|${entry.key}`;
    if (place) {
      // The step machine's path names the step where it runs; its passes are numbered in the order they were journaled.
      const stepScope = `${place.stepActor}|${entry.step}`;
      const seen = passes.get(stepScope) ?? [];
      if (!seen.includes(place.pass)) seen.push(place.pass);
      passes.set(stepScope, seen);
      pass = seen.indexOf(place.pass) + 1;
      scope = `${stepScope}|${place.pass}`;
    }
    const before = lastModel.get(scope);
    lastModel.set(scope, result.model);
    const row: CallRow = {
      id: String(index),
      kind: 'call',
      key: entry.key,
      step: entry.step,
      label: place?.label ?? entry.step,
      actor: place?.actor ?? '',
      model: result.model,
      attempt: place?.attempt ?? null,
      pass,
      tokensIn: result.tokensIn,
      tokensOut: result.tokensOut,
      ttftMs: result.ttftMs,
      durationMs: result.durationMs,
      score: result.score,
      success: result.success,
      issues: issuesOf(metadata),
      errorKind: errorKindOf(metadata),
      escalatedFrom: before !== undefined && before !== result.model ? before : null,
      judgeCalls: 0,
      of: null,
      at: entry.at,
      epoch: entry.epoch ?? null,
    };
    const inside = (entry.judges ?? []).map((call, i): JudgeCall => ({ call, id: `${row.id}.j${i}`, key: entry.key, at: entry.at, epoch: row.epoch }));
    const own = (judgesOf.get(entry.key) ?? []).map(({ entry: j, index: at }): JudgeCall => ({ call: j.result, id: String(at), key: j.key, at: j.at, epoch: j.epoch ?? null }));
    const judges = [...inside, ...own];
    row.judgeCalls = judges.length;
    return [row, ...judges.map((judge, i) => judgeRow(row, judge, i, judges.length))];
  });
}
