// How a run record reads to a person: its exit code, end-of-run summary, how to continue it, and its model calls.
import { acceptedEvents, parseDefinition } from '../definition/index.ts';
import { callContext, promptAgainstWindow } from '../inspect/call-context.ts';
import { callPlace, gradedKeyOf } from '../inspect/calls.ts';
import { isOutage } from '../llm/retryable.ts';
import { statePaths } from '../runtime/driver.ts';
import { callKind, usageCallText, type CallKind } from '../runtime/paid-calls.ts';
import { isCallEntry } from '../steps/services.ts';
import { finalStatuses, type Blocked, type RunRecord, type RunStatus, type StoredJournalEntry } from '../store/index.ts';
import type { StoredCall } from '../store/record.ts';
import type { ErrorKind } from '../llm/types.ts';
import { shortVersion } from '../versions/index.ts';
import { ExitCode } from './command.ts';
import { compactJson, duration, localTime, shellWord, tokens } from './format.ts';
import { harnessCommand } from './invocation.ts';
import type { Paint } from './io.ts';

/** Stopped by Ctrl-C: the shell convention for SIGINT (128 + 2). */
export const interruptedExitCode = 130;
/** EX_TEMPFAIL: the run is parked (an Ollama host stayed unreachable) and can be resumed later. */
export const parkedExitCode = 75;

export function exitCodeFor(status: RunStatus): number {
  switch (status) {
    case 'done':
    case 'waiting':
      return ExitCode.ok;
    case 'stopped':
      return interruptedExitCode;
    case 'parked':
      return parkedExitCode;
    default:
      return ExitCode.failed;
  }
}

export function colorStatus(status: RunStatus, p: Paint): string {
  if (status === 'done') return p.green(status);
  if (status === 'flagged' || status === 'failed') return p.red(status);
  if (status === 'waiting' || status === 'stopped' || status === 'parked') return p.yellow(status);
  return status;
}

/** The note of a run workers refuse (never of a finished one): null when nothing blocks it. */
export function blockedOf(run: { status: RunStatus; blocked?: Blocked | undefined }): Blocked | null {
  return run.blocked !== undefined && !finalStatuses.includes(run.status) ? run.blocked : null;
}

/** The status as a person reads it: `blocked` in place of a status no worker can act on. */
export function statusCell(run: { status: RunStatus; blocked?: Blocked | undefined }, p: Paint): string {
  return blockedOf(run) !== null ? p.red('blocked') : colorStatus(run.status, p);
}

/** `WORKFLOW_LOAD cannot load workflow …: … (since 10:42:07)`. */
export function blockedNote(blocked: Blocked): string {
  return `${blocked.code} ${blocked.reason} (since ${localTime(blocked.since)})`;
}

/**
 * When a waiting or parked run next needs driving: `wakes <time> (in 5.0s)`, or `overdue 2m05s (due <time>)` once the
 * time has passed and no driver has moved it on. Null when nothing but a person moves the run.
 */
export function wakeNote(run: { status: RunStatus; wakeAt?: number | null | undefined }, p: Paint, now = Date.now()): string | null {
  if ((run.status !== 'waiting' && run.status !== 'parked') || run.wakeAt === null || run.wakeAt === undefined) return null;
  const at = localTime(new Date(run.wakeAt).toISOString());
  if (run.wakeAt > now) return `wakes ${at} (in ${duration(run.wakeAt - now)})`;
  return p.red(`overdue ${duration(now - run.wakeAt)} (due ${at})`);
}

/** The `--snapshots DIR` to repeat in a printed command, when the user chose the directory by flag. */
export const snapshotsArg = (flag: string | undefined): string => (flag === undefined ? '' : ` --snapshots ${shellWord(flag)}`);

/** The command that continues a run: `harness resume <id> [--snapshots DIR]`. */
export const resumeCommand = (runId: string, snapshotsFlag: string | undefined): string => `${harnessCommand()} resume ${runId}${snapshotsArg(snapshotsFlag)}`;

/** The lines printed when a run/resume/send ends. */
export function summaryLines(record: RunRecord, p: Paint): string[] {
  const lines = [`${p.bold(colorStatus(record.status, p))}  run ${record.runId}`];
  if (record.output !== undefined) lines.push(`output  ${compactJson(record.output)}`);
  if (record.error !== undefined) lines.push(`error   ${record.error}`);
  for (const flag of record.flags) lines.push(`flag    ${p.yellow(flag)}`);
  lines.push(
    `calls ${usageCallText(record.usage)}  tokens ${tokens(record.usage.tokensIn, record.usage.tokensOut)}  time ${duration(record.activeMs)}`,
  );
  return lines;
}

/** The events a waiting run accepts, read from its stored definition (no module needs loading). */
function acceptedEventsOf(record: RunRecord): string[] {
  if (!record.snapshot || record.snapshot.value === undefined) return [];
  return acceptedEvents(parseDefinition(record.workflow.definition), statePaths(record.snapshot.value));
}

/** What to type next: the `send` commands of a waiting run, the `resume` command of a stopped one. */
export function continueLines(record: RunRecord, snapshotsFlag: string | undefined): string[] {
  const where = snapshotsArg(snapshotsFlag);
  const blocked = blockedOf(record);
  if (blocked !== null) {
    return [
      `run ${record.runId} is blocked: workers cannot drive it (${blocked.code}). Once the cause is fixed a worker tries it`,
      'again by itself (the wait doubles after each refusal, up to 10 minutes); or drive it now with:',
      `  ${harnessCommand()} resume ${record.runId}${where}`,
    ];
  }
  if (record.status === 'waiting') {
    const events = acceptedEventsOf(record);
    const states = record.snapshot ? statePaths(record.snapshot.value).join(', ') : '?';
    if (events.length === 0) {
      return [`run ${record.runId} is waiting in ${states} and accepts no events; resume it with:`, `  ${resumeCommand(record.runId, snapshotsFlag)}`];
    }
    return [
      `run ${record.runId} is waiting for a person in ${states}. To continue, send one of:`,
      ...events.map((e) => `  ${harnessCommand()} send ${record.runId} ${e}${where} --data '{}'`),
      `(--data: the event's fields as a JSON object, e.g. '{"by":"ann"}'; checked against what the wait declared)`,
    ];
  }
  if (record.status === 'parked') {
    const when = record.wakeAt ? ` (next retry ${new Date(record.wakeAt).toLocaleTimeString()})` : '';
    return [
      `run ${record.runId} is parked: an Ollama host stayed unreachable${when}. A worker retries it then; or now:`,
      `  ${resumeCommand(record.runId, snapshotsFlag)}`,
    ];
  }
  if (record.status === 'stopped') {
    return [`run ${record.runId} stopped at its last checkpoint; continue it with:`, `  ${resumeCommand(record.runId, snapshotsFlag)}`];
  }
  if (record.status === 'running') {
    // Either a process is driving it now, or its driver died: resume tells the two apart by the run's lock.
    return [`run ${record.runId} is running, or its process died; if none drives it, continue it with:`, `  ${resumeCommand(record.runId, snapshotsFlag)}`];
  }
  return [];
}

/** One row of a run's model calls, judges included. */
export interface CallRow {
  step: string;
  model: string;
  attempt: number;
  /** A try the host failed (refused, timed out, busy, 5xx): it spent no attempt. */
  outageTry: boolean;
  /** Paid, reused (a fork copied it from its source) or unanswered: see runtime/paid-calls.ts. */
  kind: CallKind;
  outcome: string;
  score: number | null;
  tokensIn: number;
  tokensOut: number;
  ttftMs: number | null;
  durationMs: number;
  /** Length of a thinking model's reasoning (`thinking 312 chars`), kept apart from its answer; null without any. */
  thinkingChars: number | null;
  /** Why the scorer gave less than 1; empty for a full score or no scorer. */
  scoreReasons: string[];
  /** Prompt tokens against num_ctx (`3934/8192`, `cut 4090/4096`); null for calls journaled before windows were measured. */
  context: string | null;
}

/** The step's name as a person knows it: the sub-agents and fan-out items it ran in, then its id (`security/review`). */
export function stepLabel(entry: StoredJournalEntry): string {
  return callPlace(entry)?.label ?? entry.step;
}

function errorOf(call: StoredCall): { kind?: ErrorKind; message?: string } | undefined {
  return (call.metadata as { error?: { kind?: ErrorKind; message?: string } }).error;
}

export function outcomeOf(call: StoredCall): string {
  if (call.success) return 'ok';
  return errorOf(call)?.kind ?? 'error';
}

export function callRows(record: RunRecord): CallRow[] {
  const row = (step: string, call: StoredCall, entry: StoredJournalEntry, context = callContext(call)): CallRow => ({
    step,
    model: call.model,
    attempt: call.retries + 1,
    outageTry: isOutage(errorOf(call)?.kind),
    kind: callKind(call, entry),
    outcome: outcomeOf(call),
    score: call.score,
    tokensIn: call.tokensIn,
    tokensOut: call.tokensOut,
    ttftMs: call.ttftMs,
    durationMs: call.durationMs,
    thinkingChars: 'thinking' in call && typeof call.thinking === 'string' ? call.thinking.length : null,
    scoreReasons: call.score === null || call.score >= 1 ? [] : scoreReasonsOf(call),
    context: context === null ? null : promptAgainstWindow(context),
  });
  // A judge's call has an entry of its own (older runs kept it inside the entry it graded): listed under that call.
  // A fan-out item's kept output is journaled too, and is no call.
  const calls = record.journal.filter(isCallEntry);
  const keys = new Set(calls.map((entry) => entry.key));
  const judgesOf = new Map<string, { call: StoredCall; entry: StoredJournalEntry }[]>();
  for (const entry of calls) {
    const graded = gradedKeyOf(entry.key);
    if (graded !== null && keys.has(graded)) judgesOf.set(graded, [...(judgesOf.get(graded) ?? []), { call: entry.result, entry }]);
  }
  return calls.flatMap((entry) => {
    const graded = gradedKeyOf(entry.key);
    if (graded !== null && keys.has(graded)) return [];
    const step = stepLabel(entry);
    const judges = [...(entry.judges ?? []).map((call) => ({ call, entry })), ...(judgesOf.get(entry.key) ?? [])];
    return [row(step, entry.result, entry), ...judges.map((judge) => ({ ...row(`${step} (judge)`, judge.call, judge.entry), attempt: entry.result.retries + 1 }))];
  });
}

/** Why a call's scorer gave less than 1 (failed rules, a judge's words), as the journal keeps them. */
export function scoreReasonsOf(call: StoredCall): string[] {
  const { metadata } = call;
  return 'scoreReasons' in metadata && Array.isArray(metadata.scoreReasons) ? metadata.scoreReasons.map(String) : [];
}

/** One attempt as a flag's reasons list it (the same words as the step's own `reasons`), with its scorer's reasons. */
function describeCall(call: StoredCall, attempt: number, outageTries: number): string {
  const error = errorOf(call);
  const after = outageTries > 0 ? `, after ${outageTries} outage tr${outageTries === 1 ? 'y' : 'ies'}` : '';
  if (error) return `${call.model} attempt ${attempt}: ${error.kind ?? 'error'} (${error.message ?? ''})${after}`;
  const reasons = call.score === null || call.score >= 1 ? [] : scoreReasonsOf(call);
  return `${call.model} attempt ${attempt}: score ${call.score ?? 'none'}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}${after}`;
}

/**
 * Why each flagged step was flagged: the flag's own reason, then every model attempt of the step's last pass (the
 * tries an outage cost are counted with the attempt they preceded), read from the journal (a step keeps its attempts
 * in its own machine, which is gone once it ended). A flag that names no journaled step (a sub-agent's own flag, a
 * budget spent before any call) gets no block.
 */
export function flagReasons(record: RunRecord): { label: string; reasons: string[] }[] {
  const byLabel = new Map<string, { pass: string; attempts: string[]; outageTries: number }>();
  for (const entry of record.journal) {
    const place = callPlace(entry);
    if (!place) continue;
    let seen = byLabel.get(place.label);
    if (seen?.pass !== place.pass) {
      seen = { pass: place.pass, attempts: [], outageTries: 0 };
      byLabel.set(place.label, seen);
    }
    if (isOutage(errorOf(entry.result)?.kind)) seen.outageTries += 1;
    else {
      seen.attempts.push(describeCall(entry.result, place.attempt, seen.outageTries));
      seen.outageTries = 0;
    }
  }
  const blocks: { label: string; reasons: string[] }[] = [];
  for (const flag of record.flags) {
    const cut = flag.indexOf(': ');
    if (cut < 0) continue;
    const label = flag.slice(0, cut);
    const step = byLabel.get(label);
    if (!step) continue;
    blocks.push({ label, reasons: [flag.slice(cut + 2), ...step.attempts] });
  }
  return blocks;
}

/** A run's version for people: its short hash, and whether its workflow file has moved on (`harness upgrade`). */
export function versionCell(version: string, behind: boolean | null | undefined, runId: string, p: Paint): string {
  const short = shortVersion(version);
  if (behind === true) return `${short}  ${p.yellow('behind its workflow file')} (harness upgrade ${runId})`;
  return behind === false ? `${short}  current` : short;
}
