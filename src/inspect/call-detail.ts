// One model call as the detail panel shows it: the messages sent, the reply, parsed data, issues, score, judges, timings.
import type { RunRecord, StoredCall, StoredJournalEntry } from '../store/index.ts';
import { callContext, type StoredCallContext } from './call-context.ts';
import { callRows, type CallRow } from './calls.ts';
import { HttpError } from './http.ts';

export interface SentMessage {
  role: string;
  content: string;
  /** Tool calls of an assistant turn (an agent's loop), as sent back to the model. */
  toolCalls: unknown[];
}

export interface CallTimings {
  ttftMs: number | null;
  durationMs: number;
  /** Ollama's own timings of the call, when it reported them. */
  loadMs: number | null;
  promptEvalMs: number | null;
  evalMs: number | null;
  totalMs: number | null;
}

export interface CallDetail {
  row: CallRow;
  /** What the model was asked; null when the journal did not keep it (see `messagesMissing`). */
  messages: SentMessage[] | null;
  /** Why `messages` is null: the journal field that would hold them. */
  messagesMissing: string | null;
  reply: { content: string; thinking: string | null; toolCalls: unknown[] };
  /** The parsed, validated reply (`result.data`), when a schema or JSON was asked for and it passed. */
  data: unknown;
  issues: string[];
  score: number | null;
  scoreReasons: string[];
  /** The calls a judge made to grade this one (empty for a judge's own call). */
  judges: CallRow[];
  timings: CallTimings;
  /** The prompt against the model's window: tokens evaluated, num_ctx, the estimate, any cut; null before windows were measured. */
  context: StoredCallContext | null;
  host: string;
  doneReason: string | null;
  error: { kind: string; message: string } | null;
  /** Hosts given up on before `host`, with why. */
  failovers: { host: string; kind: string; message: string }[];
  requestHash: string;
  /** The epoch (driver session) that journaled the call, and the run's current one. */
  epoch: number | null;
  runEpoch: number;
  /**
   * Whether a later session took this result from the journal instead of calling again. The journal keeps no record of
   * replays (only `call.end` events say so, live); null here means "not recorded".
   */
  replayed: boolean | null;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const numberOr = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const stringOr = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function messagesOf(entry: StoredJournalEntry): SentMessage[] | null {
  if (!entry.messages) return null;
  return entry.messages.map((m) => {
    const extra: Json = { ...m };
    const toolCalls = Array.isArray(extra.tool_calls) ? extra.tool_calls : Array.isArray(extra.toolCalls) ? extra.toolCalls : [];
    return { role: m.role, content: m.content, toolCalls };
  });
}

function detailOf(call: StoredCall, row: CallRow, rows: readonly CallRow[], entry: StoredJournalEntry, runEpoch: number, judgeIndex: number | null): CallDetail {
  const result: Json = { ...call };
  const metadata: Json = call.metadata;
  const error = isObject(metadata.error) ? { kind: String(metadata.error.kind ?? 'error'), message: String(metadata.error.message ?? '') } : null;
  const messages = judgeIndex === null ? messagesOf(entry) : null;
  return {
    row,
    messages,
    messagesMissing:
      messages !== null ? null
        : judgeIndex === null ? 'this journal entry has no `messages` (runs journaled before requests were kept)'
          : 'this judge call was journaled inside the entry it graded, without its request (runs from before judges had entries of their own)',
    reply: {
      content: call.content,
      thinking: stringOr(result.thinking),
      toolCalls: Array.isArray(result.toolCalls) ? result.toolCalls : [],
    },
    data: result.data ?? null,
    issues: row.issues,
    score: call.score,
    scoreReasons: Array.isArray(metadata.scoreReasons) ? metadata.scoreReasons.map(String) : [],
    judges: rows.filter((r) => r.kind === 'judge' && r.of === row.id),
    timings: {
      ttftMs: call.ttftMs,
      durationMs: call.durationMs,
      loadMs: numberOr(metadata.loadMs),
      promptEvalMs: numberOr(metadata.promptEvalMs),
      evalMs: numberOr(metadata.evalMs),
      totalMs: numberOr(metadata.totalMs),
    },
    context: callContext(call),
    host: call.metadata.host,
    doneReason: stringOr(metadata.doneReason),
    error,
    failovers: Array.isArray(metadata.failovers)
      ? metadata.failovers.filter(isObject).map((f) => ({ host: String(f.host ?? '?'), kind: String(f.kind ?? '?'), message: String(f.message ?? '') }))
      : [],
    requestHash: entry.requestHash,
    epoch: entry.epoch ?? null,
    runEpoch,
    replayed: null,
  };
}

/** The detail of call `id` of a run (`3`: journal entry 3, a judge's own entry too; `3.j0`: a judge call kept inside entry 3). */
export function callDetail(record: RunRecord, id: string): CallDetail {
  const match = /^(\d+)(?:\.j(\d+))?$/.exec(id);
  const entry = match ? record.journal[Number(match[1])] : undefined;
  const judgeIndex = match?.[2] !== undefined ? Number(match[2]) : null;
  const call = entry && (judgeIndex === null ? entry.result : entry.judges?.[judgeIndex]);
  if (!entry || !call) throw new HttpError(404, `run ${record.runId} has no call ${id}`);
  const rows = callRows(record.journal);
  const row = rows.find((r) => r.id === id);
  if (!row) throw new HttpError(404, `run ${record.runId} has no call ${id}`);
  return detailOf(call, row, rows, entry, record.epoch, judgeIndex);
}
