// `harness usage`: model calls, tokens in/out and model time across runs, per workflow and per model.
import { usageReport, type UsageRow } from '../../inspect/usage.ts';
import { callCountText } from '../../runtime/paid-calls.ts';
import type { RunRecord } from '../../store/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';
import { duration, table } from '../format.ts';
import { colorEnabled, paint } from '../io.ts';
import { openStore, storeFlags } from '../snapshots-dir.ts';

const help = `Usage: harness usage [--json] [--since <ISO time>] [--snapshots <dir> | --store <url>]

Sums the model calls of the runs in the snapshots directory (judge calls included): paid calls, tokens
in, tokens out and model time (summed call durations), per workflow and per model, and the compactions
among them (agents' older turns summarised to stay within the window). A call a fork copied from its
source is counted as reused (paid once, by the source) and an attempt no model answered (connection
refused, host busy) as unanswered; neither adds tokens. Every command counts calls this way; the
inspector shows the same per run.

Options:
  --json             print { dir, since, runs, total, byWorkflow, byModel, compactions } as JSON
  --since <time>     only runs started at or after this ISO time (e.g. 2026-11-01 or 2026-11-01T09:00Z)
  --snapshots <dir>  directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)
  --store <url>      postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)`;

/** REUSED and UNANSWERED columns appear only when some run has such calls (`total` tells). */
function rowsOf(title: string, rows: readonly UsageRow[], total: UsageRow): string[][] {
  const extra = (['reused', 'unanswered'] as const).filter((kind) => total[kind] > 0);
  return [
    [title, 'CALLS', ...extra.map((kind) => kind.toUpperCase()), 'TOKENS IN', 'TOKENS OUT', 'MODEL TIME'],
    ...rows.map((r) => [r.name, String(r.calls), ...extra.map((kind) => String(r[kind])), String(r.tokensIn), String(r.tokensOut), duration(r.durationMs)]),
  ];
}

export const usageCommand: Command = {
  name: 'usage',
  summary: 'calls, tokens and model time across runs, per workflow and model',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...storeFlags, json: { type: 'boolean', default: false }, since: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`usage takes no arguments, got "${positionals.join(' ')}"`);
    const since = values.since ?? null;
    // Date.parse takes far more than ISO times (`-3` is a date in 2001): a date must lead, as in the examples.
    if (since !== null && (!/^\d{4}-\d{2}-\d{2}/.test(since.trim()) || Number.isNaN(Date.parse(since)))) {
      throw new UsageError(`--since needs an ISO time such as 2026-11-01 or 2026-11-01T09:00Z, got "${since}"`);
    }
    const { store } = openStore(values, io, 'read');
    const { runs, unreadable } = await store.list();
    const records: RunRecord[] = [];
    for (const run of runs) {
      // A run removed or rewritten between the listing and the read is left out, like an unreadable file.
      const record = await store.read(run.runId).catch(() => null);
      if (record) records.push(record);
    }
    const report = usageReport(records, since === null ? null : new Date(Date.parse(since)).toISOString());
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ dir: store.dir, ...report }, null, 2)}\n`);
      return ExitCode.ok;
    }
    const p = paint(colorEnabled(io.stdout, io.env));
    const lines = [`${report.runs} run(s) in ${store.dir}${since !== null ? ` since ${report.since}` : ''}`];
    const { total } = report;
    if (total.calls + total.reused + total.unanswered === 0) lines.push('no model calls');
    else {
      lines.push(`calls: ${callCountText({ paid: total.calls, reused: total.reused, unanswered: total.unanswered })}; tokens and model time are the paid calls'`);
      lines.push('', ...table(rowsOf(p.dim('WORKFLOW'), [...report.byWorkflow, total], total)));
      lines.push('', ...table(rowsOf(p.dim('MODEL'), report.byModel, total)));
      const c = report.compactions;
      if (c.calls > 0) lines.push('', `compactions: ${c.calls} call(s), ${c.tokensIn} tokens in, ${c.tokensOut} out, ${duration(c.durationMs)} (included above)`);
    }
    for (const bad of unreadable) lines.push(p.red(`unreadable ${bad.file}: ${bad.reason}`));
    io.stdout.write(`${lines.join('\n')}\n`);
    return ExitCode.ok;
  },
};
