// Usage of model calls (judges' included): per run by model and step, and across runs by workflow and model.
import type { RunRecord, StoredCall, StoredJournalEntry } from '../store/index.ts';
import { isCallEntry } from '../steps/services.ts';
import { callContext } from './call-context.ts';
import { callPlace, gradedKeyOf } from './calls.ts';

export interface UsageRow {
  /** The model, step label or workflow id the row sums. */
  name: string;
  calls: number;
  tokensIn: number;
  tokensOut: number;
  /** Summed call durations (calls in parallel overlap: this is model time, not wall time). */
  durationMs: number;
}

export interface RunUsage {
  total: UsageRow;
  byModel: UsageRow[];
  byStep: UsageRow[];
  /** The calls that summarised an agent's older turns to keep it within its window (included in the total). */
  compactions: UsageRow;
}

export interface UsageReport {
  since: string | null;
  runs: number;
  total: UsageRow;
  byWorkflow: UsageRow[];
  byModel: UsageRow[];
  /** Compaction calls across the runs (included in the total). */
  compactions: UsageRow;
}

const empty = (name: string): UsageRow => ({ name, calls: 0, tokensIn: 0, tokensOut: 0, durationMs: 0 });

function add(rows: Map<string, UsageRow>, name: string, call: StoredCall): void {
  const row = rows.get(name) ?? empty(name);
  row.calls += 1;
  row.tokensIn += call.tokensIn;
  row.tokensOut += call.tokensOut;
  row.durationMs += call.durationMs;
  rows.set(name, row);
}

/** Most tokens first. */
const sorted = (rows: Map<string, UsageRow>): UsageRow[] =>
  [...rows.values()].sort((a, b) => b.tokensIn + b.tokensOut - (a.tokensIn + a.tokensOut) || a.name.localeCompare(b.name));

/** Every paid call once: each entry (a judge's own entry too), and the judges' calls kept inside older entries. */
function callsOf(record: Pick<RunRecord, 'journal'>): { label: string; call: StoredCall }[] {
  const calls = record.journal.filter(isCallEntry); // a fan-out item's kept output is journaled too, and is no call
  const byKey = new Map(calls.map((entry) => [entry.key, entry]));
  const labelOf = (entry: StoredJournalEntry) => callPlace(entry)?.label ?? entry.step;
  return calls.flatMap((entry) => {
    const graded = byKey.get(gradedKeyOf(entry.key) ?? '');
    if (graded) return [{ label: `${labelOf(graded)} · judge`, call: entry.result }];
    const label = labelOf(entry);
    return [{ label, call: entry.result }, ...(entry.judges ?? []).map((call) => ({ label: `${label} · judge`, call }))];
  });
}

export function runUsage(record: Pick<RunRecord, 'journal'>): RunUsage {
  const total = new Map<string, UsageRow>();
  const byModel = new Map<string, UsageRow>();
  const byStep = new Map<string, UsageRow>();
  const compactions = new Map<string, UsageRow>();
  for (const { label, call } of callsOf(record)) {
    add(total, 'total', call);
    add(byModel, call.model, call);
    add(byStep, label, call);
    if (callContext(call)?.compaction) add(compactions, 'compactions', call);
  }
  return { total: total.get('total') ?? empty('total'), byModel: sorted(byModel), byStep: sorted(byStep), compactions: compactions.get('compactions') ?? empty('compactions') };
}

/** Usage across runs created at or after `since` (an ISO time), per workflow and per model. */
export function usageReport(records: readonly RunRecord[], since: string | null = null): UsageReport {
  const from = since === null ? -Infinity : Date.parse(since);
  const total = new Map<string, UsageRow>();
  const byWorkflow = new Map<string, UsageRow>();
  const byModel = new Map<string, UsageRow>();
  const compactions = new Map<string, UsageRow>();
  let runs = 0;
  for (const record of records) {
    if (Date.parse(record.createdAt) < from) continue;
    runs += 1;
    for (const { call } of callsOf(record)) {
      add(total, 'total', call);
      add(byWorkflow, record.workflow.id, call);
      add(byModel, call.model, call);
      if (callContext(call)?.compaction) add(compactions, 'compactions', call);
    }
  }
  return { since, runs, total: total.get('total') ?? empty('total'), byWorkflow: sorted(byWorkflow), byModel: sorted(byModel), compactions: compactions.get('compactions') ?? empty('compactions') };
}
