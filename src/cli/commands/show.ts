// `harness show`: one run for a person (status, timings, usage, every model call, flags, output) or as raw JSON.
import { getRun } from '../../runtime/index.ts';
import { statePaths } from '../../runtime/driver.ts';
import { isBehind, sourceOf } from '../../runtime/upgrade.ts';
import { assertRunId, versionOf, type RunRecord } from '../../store/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { compactJson, duration, localTime, prettyJson, table, tokens } from '../format.ts';
import { colorEnabled, paint, type Paint } from '../io.ts';
import { runUsage } from '../../inspect/usage.ts';
import { callCountText, usageCallText } from '../../runtime/paid-calls.ts';
import { blockedNote, blockedOf, callRows, continueLines, flagReasons, statusCell, versionCell, wakeNote } from '../print-run.ts';
import { openStore, storeFlags } from '../snapshots-dir.ts';

const help = `Usage: harness show <run-id> [--json] [--snapshots <dir> | --store <url>]

Prints a run: status, workflow and definition hash, its version (the code it runs on, marked behind
when its workflow file's code is newer: harness upgrade moves it), timings, usage (compactions apart) and budget, a
table of every model call (step, model, attempt, ok or error kind, score, tokens, prompt tokens
against num_ctx, time to first token, duration; a judge's call under the call it graded, a try the
host failed as attempt "1 (outage)", which spent no attempt), flags with their reasons, person
decisions, and the output. A waiting or stopped run also shows how to continue it; a run workers
refuse shows as blocked, with the reason.

Options:
  --json             print the whole run record as JSON
  --snapshots <dir>  directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>      postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)`;

export const showCommand: Command = {
  name: 'show',
  summary: 'show one run: status, usage, every model call, flags and output',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...storeFlags, json: { type: 'boolean', default: false } });
    if (positionals.length !== 1) throw new UsageError('show needs exactly one run id: harness show <run-id>');
    const runId = assertRunId(positionals[0] as string);
    const { store, flag } = openStore(values, io, 'read');
    const record = await getRun(store, runId);
    if (values.json) io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    else {
      const behind = await isBehind({ status: record.status, version: versionOf(record) }, sourceOf(record, io.cwd));
      io.stdout.write(`${describeRun(record, flag, paint(colorEnabled(io.stdout, io.env)), behind).join('\n')}\n`);
    }
    return ExitCode.ok;
  },
};

/** `behind`: whether the run's version is not its workflow file's code as it is now (null: not known or not asked). */
export function describeRun(record: RunRecord, snapshotsFlag: string | undefined, p: Paint, behind: boolean | null = null): string[] {
  const wake = wakeNote(record, p);
  const version = versionOf(record);
  const blocked = blockedOf(record);
  const head: string[][] = [
    ['run', p.bold(record.runId)],
    ['status', statusCell(record, p)],
    ...(blocked !== null ? [['blocked', p.red(blockedNote(blocked))]] : []),
    ...(wake !== null ? [['next wake', wake]] : []),
    ['workflow', `${record.workflow.id}  (${record.workflow.moduleRelative || record.workflow.module})`],
    ['hash', record.workflow.hash],
    ...(version !== undefined ? [['version', versionCell(version, behind, record.runId, p)]] : []),
    ['started', localTime(record.createdAt)],
    ['updated', localTime(record.updatedAt)],
    ['driven', duration(record.activeMs)],
    ['usage', `${usageCallText(record.usage)} calls, tokens ${tokens(record.usage.tokensIn, record.usage.tokensOut)}`],
  ];
  const compactions = runUsage(record).compactions;
  if (compactions.calls > 0) {
    head.push(['compacted', `${compactions.calls} time${compactions.calls === 1 ? '' : 's'} (older turns summarised to stay within the window), tokens ${tokens(compactions.tokensIn, compactions.tokensOut)}`]);
  }
  const { tokens: budgetTokens, wallMs } = record.budget;
  if (budgetTokens !== undefined || wallMs !== undefined) {
    const parts = [budgetTokens !== undefined ? `${budgetTokens} tokens` : '', wallMs !== undefined ? `${duration(wallMs)} driven` : ''];
    head.push(['budget', parts.filter(Boolean).join(', ')]);
  }
  if (record.snapshot && record.status !== 'done') head.push(['state', statePaths(record.snapshot.value).join(', ')]);
  head.push(['input', compactJson(record.input)]);
  const lines = table(head);

  const rows = callRows(record);
  const counted = { paid: rows.filter((r) => r.kind === 'paid').length, reused: rows.filter((r) => r.kind === 'reused').length, unanswered: rows.filter((r) => r.kind === 'unanswered').length };
  lines.push('', p.bold(`model calls (${callCountText(counted)})`));
  if (rows.length === 0) lines.push('  none yet');
  else {
    // A thinking column only when some call thought: most runs' tables stay as narrow as before.
    const thinking = rows.some((r) => r.thinkingChars !== null);
    const windows = rows.some((r) => r.context !== null);
    const header = ['STEP', 'MODEL', 'ATTEMPT', 'RESULT', 'SCORE', 'TOKENS', ...(windows ? ['PROMPT/CTX'] : []), 'TTFT', 'DURATION', ...(thinking ? ['THINKING'] : [])].map((h) => p.dim(h));
    const body = rows.map((r) => [
      r.step,
      r.model,
      r.outageTry ? `${r.attempt} (outage)` : String(r.attempt),
      `${r.outcome === 'ok' ? p.green('ok') : p.red(r.outcome)}${r.kind === 'reused' ? p.dim(' (reused)') : ''}`,
      r.score === null ? '-' : r.score.toFixed(2),
      `${r.tokensIn}/${r.tokensOut}`,
      ...(windows ? [r.context === null ? '-' : r.context.startsWith('cut') ? p.red(r.context) : r.context] : []),
      r.ttftMs === null ? '-' : duration(r.ttftMs),
      duration(r.durationMs),
      ...(thinking ? [r.thinkingChars === null ? '-' : `${r.thinkingChars} chars`] : []),
    ]);
    lines.push(...table([header, ...body]).map((line) => `  ${line}`));
  }
  // A score below 1 says why: the scorer's failed rules or the judge's words, per call.
  const explained = rows.filter((r) => r.scoreReasons.length > 0);
  if (explained.length > 0) {
    lines.push('', p.bold('score reasons'));
    for (const r of explained) {
      lines.push(`  ${r.step} ${r.model} attempt ${r.attempt}: score ${r.score?.toFixed(2) ?? '-'}`, ...r.scoreReasons.map((reason) => `    - ${reason}`));
    }
  }

  if (record.flags.length > 0) {
    lines.push('', p.bold(`flags (${record.flags.length})`));
    for (const flag of record.flags) lines.push(`  ${p.yellow(flag)}`);
    for (const { label, reasons } of flagReasons(record)) lines.push(`  why ${label}:`, ...reasons.map((reason) => `    - ${reason}`));
  }

  // Events sent to the run from outside (a person's APPROVE, a cancel) are the decisions in its timeline.
  const decisions = record.timeline.filter((entry) => entry.actor === 'root' && !entry.event.startsWith('xstate.'));
  if (decisions.length > 0) {
    lines.push('', p.bold('decisions'));
    for (const d of decisions) lines.push(`  ${d.event}  at ${localTime(d.at)}  → ${(d.state ?? []).join(', ')}`);
  }

  if (record.error !== undefined) lines.push('', p.bold('error'), `  ${p.red(record.error)}`);
  if (record.output !== undefined) lines.push('', p.bold('output'), ...prettyJson(record.output).split('\n').map((l) => `  ${l}`));

  const next = continueLines(record, snapshotsFlag);
  if (next.length > 0) lines.push('', ...next);
  return lines;
}
