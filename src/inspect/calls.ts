// The model-call table of a run: one row per journaled call, with attempt, validation issues and escalations.
import type { StoredJournalEntry } from '../store/index.ts';

export interface CallRow {
  key: string;
  step: string;
  /** The actor that made the call (`root`, `root/review.2`): fan-out children share a step id. */
  actor: string;
  model: string;
  /** From the journal key (`<step>.p<pass>.m<ladder>.a<attempt>`); null when the key has another shape. */
  attempt: number | null;
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
  at: string;
}

const keyPattern = /:(?:.*\.)?p(\d+)\.m(\d+)\.a(\d+)$/;

function issuesOf(metadata: Record<string, unknown>): string[] {
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

function errorKindOf(metadata: Record<string, unknown>): string | null {
  const error = metadata.error;
  if (typeof error === 'object' && error !== null && typeof (error as { kind?: unknown }).kind === 'string') {
    return (error as { kind: string }).kind;
  }
  return null;
}

export function callRows(journal: readonly StoredJournalEntry[]): CallRow[] {
  const lastModel = new Map<string, string>();
  return journal.map((entry) => {
    const { result } = entry;
    const metadata = result.metadata as Record<string, unknown>;
    const match = keyPattern.exec(entry.key);
    const actor = entry.key.includes(':') ? entry.key.slice(0, entry.key.indexOf(':')) : '';
    // The invoke id (last path segment) is the same for every attempt of a step, so actor + step is the step's run.
    const scope = `${actor}|${entry.step}`;
    const before = lastModel.get(scope);
    lastModel.set(scope, result.model);
    return {
      key: entry.key,
      step: entry.step,
      actor: actor.split('/').slice(0, -1).join('/') || actor,
      model: result.model,
      attempt: match ? Number(match[3]) : null,
      pass: match ? Number(match[1]) : null,
      tokensIn: result.tokensIn,
      tokensOut: result.tokensOut,
      ttftMs: result.ttftMs,
      durationMs: result.durationMs,
      score: result.score,
      success: result.success,
      issues: issuesOf(metadata),
      errorKind: errorKindOf(metadata),
      escalatedFrom: before !== undefined && before !== result.model ? before : null,
      judgeCalls: entry.judges?.length ?? 0,
      at: entry.at,
    };
  });
}
