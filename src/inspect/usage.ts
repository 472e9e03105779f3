// Usage of model calls (judges' included): per run by model and step, and across runs by workflow and model.
import { callKind, type CallKind } from '../runtime/paid-calls.ts';
import type { RunRecord, StoredCall, StoredJournalEntry } from '../store/index.ts';
import { isCallEntry } from '../steps/services.ts';
import { callContext } from './call-context.ts';
import { callPlace, gradedKeyOf } from './calls.ts';

export interface UsageRow {
  /** The model, step label or workflow id the row sums. */
  name: string;
  /** Calls paid for; tokens and model time are theirs alone (see runtime/paid-calls.ts). */
  calls: number;
  /** Calls a fork copied from its source and replayed: paid there, not here. */
  reused: number;
  /** Attempts no model answered (connection refused, host busy): nothing spent. */
  unanswered: number;
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

const empty = (name: string): UsageRow => ({ name, calls: 0, reused: 0, unanswered: 0, tokensIn: 0, tokensOut: 0, durationMs: 0 });

function add(rows: Map<string, UsageRow>, name: string, { call, kind }: Counted): void {
  const row = rows.get(name) ?? empty(name);
  rows.set(name, row);
  if (kind === 'reused' || kind === 'unanswered') {
    row[kind] += 1;
    return;
  }
  row.calls += 1;
  row.tokensIn += call.tokensIn;
  row.tokensOut += call.tokensOut;
  row.durationMs += call.durationMs;
}

interface Counted {
  label: string;
  call: StoredCall;
  kind: CallKind;
}

/** Most tokens first. */
const sorted = (rows: Map<string, UsageRow>): UsageRow[] =>
  [...rows.values()].sort((a, b) => b.tokensIn + b.tokensOut - (a.tokensIn + a.tokensOut) || a.name.localeCompare(b.name));

/** Every call once, with its kind: each entry (a judge's own entry too), and the judges' calls kept inside older entries. */
function callsOf(record: Pick<RunRecord, 'journal'>): Counted[] {
  const calls = record.journal.filter(isCallEntry); // a fan-out item's kept output is journaled too, and is no call
  const byKey = new Map(calls.map((entry) => [entry.key, entry]));
  const labelOf = (entry: StoredJournalEntry) => callPlace(entry)?.label ?? entry.step;
  return calls.flatMap((entry) => {
    const graded = byKey.get(gradedKeyOf(entry.key) ?? '');
    if (graded) return [{ label: `${labelOf(graded)} · judge`, call: entry.result, kind: callKind(entry.result, entry) }];
    const label = labelOf(entry);
    const judges = (entry.judges ?? []).map((call) => ({ label: `${label} · judge`, call, kind: callKind(call, entry) }));
    return [{ label, call: entry.result, kind: callKind(entry.result, entry) }, ...judges];
  });
}

export function runUsage(record: Pick<RunRecord, 'journal'>): RunUsage {
  const total = new Map<string, UsageRow>();
  const byModel = new Map<string, UsageRow>();
  const byStep = new Map<string, UsageRow>();
  const compactions = new Map<string, UsageRow>();
  for (const counted of callsOf(record)) {
    const { label, call } = counted;
    add(total, 'total', counted);
    add(byModel, call.model, counted);
    add(byStep, label, counted);
    if (callContext(call)?.compaction) add(compactions, 'compactions', counted);
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
    for (const counted of callsOf(record)) {
      const { call } = counted;
      add(total, 'total', counted);
      add(byWorkflow, record.workflow.id, counted);
      add(byModel, call.model, counted);
      if (callContext(call)?.compaction) add(compactions, 'compactions', counted);
    }
  }
  return { since, runs, total: total.get('total') ?? empty('total'), byWorkflow: sorted(byWorkflow), byModel: sorted(byModel), compactions: compactions.get('compactions') ?? empty('compactions') };
}
