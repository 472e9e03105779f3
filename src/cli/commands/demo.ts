// `harness demo`: reviews the code-review example's sample diff through the `run` command, its replies served by the
// Ollama simulator started in this process, then explains the result and what to run next. Works offline, from a
// checkout (machines/) or an installed package (examples/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { importModule } from '../../runtime/import-module.ts';
import { FileStore, newRunId, type RunRecord } from '../../store/index.ts';
import { startSimulator, type ScriptedReply } from '../../testing/index.ts';
import { type CliIO, type Command, parseFlags, UsageError } from '../command.ts';
import { shellWord } from '../format.ts';
import { colorEnabled, paint, type Paint } from '../io.ts';
import { ownPackage } from '../own-package.ts';
import { scoreReasonsOf } from '../print-run.ts';
import { examplesDir } from '../scaffold/examples.ts';
import { snapshotsDir } from '../snapshots-dir.ts';
import { runCommand } from './run.ts';

const help = `Usage: harness demo [--snapshots <dir>]

Runs the code-review example (three specialist reviewers in parallel, a verdict graded by an LLM judge
and escalated to a larger model) on its sample diff, against the built-in Ollama simulator: no model,
no network. The run is written like any other, and the demo prints the commands to show, resume and
inspect it.

Options:
  --snapshots <dir>  directory of run files (default: $HARNESS_SNAPSHOTS, else ./snapshots)`;

/** The part of the example's output the explanation reads. */
const reviewResult = z.object({
  decision: z.string().nullable(),
  mustFix: z.array(z.string()),
  findings: z.array(z.object({ specialty: z.string(), severity: z.string() })),
  score: z.number().nullable(),
});

type ReviewScript = (options: { smallModel?: string }) => ScriptedReply;
const isReviewScript = (value: unknown): value is ReviewScript => typeof value === 'function';

const score = (value: number | null) => (value === null ? 'none' : value.toFixed(2));

/** What the run shows: the verdict, the findings by severity, and how the verdict got past the judge. */
function resultLines(record: RunRecord, threshold: number, p: Paint): string[] {
  const parsed = reviewResult.safeParse(record.output);
  if (!parsed.success) return [`The run ended ${record.status} without a review in its output.`];
  const output = parsed.data;
  const count = (severity: string) => output.findings.filter((f) => f.severity === severity).length;
  const lines = [
    p.bold('Result'),
    `  decision   ${output.decision ?? '(none: flagged)'}  (judge score ${score(output.score)})`,
    `  findings   ${count('error')} errors, ${count('warning')} warnings, ${count('info')} info, from ` +
      [...new Set(output.findings.map((f) => f.specialty))].join(', '),
    ...output.mustFix.map((line, i) => `  ${i === 0 ? 'must fix ' : '         '}  - ${line}`),
    '',
    p.bold('How the verdict was reached'),
  ];
  for (const entry of record.journal.filter((e) => e.step === 'verdict')) {
    const reasons = scoreReasonsOf(entry.result);
    const passed = entry.result.score !== null && entry.result.score >= threshold;
    const outcome = passed ? p.green('accepted') : p.yellow(`below ${threshold}: escalated`);
    lines.push(`  ${entry.result.model.padEnd(18)} judge score ${score(entry.result.score)}, ${outcome}`);
    for (const reason of reasons) lines.push(`  ${' '.repeat(18)}   - ${reason}`);
  }
  return lines;
}

function nextLines(runId: string, snapshots: string | undefined, p: Paint): string[] {
  const where = snapshots === undefined ? '' : ` --snapshots ${shellWord(snapshots)}`;
  const rows: [string, string][] = [
    [`npx harness show ${runId}${where}`, 'every step and model call: attempts, scores, tokens, timings'],
    [`npx harness resume ${runId}${where}`, 'continues a run stopped with Ctrl-C (a finished run is refused, exit 3);'],
    ['', 'it needs models at OLLAMA_HOST: e.g. `npx harness simulate` in another terminal'],
    [`npx harness inspect${where}`, 'the local inspector page: statechart, timeline, model calls'],
    ['npx harness init my-flows --example code-review', 'a project of your own with this workflow in it'],
  ];
  const width = Math.max(...rows.map(([command]) => command.length));
  return ['', p.bold('Next'), ...rows.map(([command, what]) => `  ${command.padEnd(width)}  ${p.dim(what)}`)];
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the code-review example end to end against the built-in simulator (offline)',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { snapshots: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`demo takes no arguments, got "${positionals.join(' ')}"`);
    const p = paint(colorEnabled(io.stdout, io.env));
    const dir = examplesDir(ownPackage());
    const workflowFile = join(dir, 'code-review.ts');
    const { verdictThreshold } = await importModule(workflowFile);
    const { sampleReviewScript } = await importModule(join(dir, 'samples', 'review-replies.ts'));
    if (typeof verdictThreshold !== 'number' || !isReviewScript(sampleReviewScript)) {
      throw new Error(`${dir} does not hold the code-review example this demo runs`);
    }
    // Three slots, so the three specialists really generate at the same time; latency, so the live view is watchable.
    const sim = await startSimulator({
      seed: 1,
      numParallel: 3,
      latency: { loadMs: 300, ttftMs: 150, perTokenMs: 15 },
      script: { '*': sampleReviewScript({ smallModel: 'qwen2.5-coder:7b' }) },
    });
    io.env.OLLAMA_HOST = sim.url;
    io.env.HARNESS_HOST_CONCURRENCY = '3';
    const runId = newRunId('demo-review');
    io.stdout.write(
      [
        p.bold('harness demo: code review of samples/sample.diff with the code-review example'),
        `Replies are simulated by the built-in Ollama simulator (${sim.url}); no model runs.`,
        'The simulator follows a script: canned specialist findings, a careless verdict from the 7b model, a careful',
        'one from the 32b model, and a judge that grades a verdict by whether it names every error-severity finding.',
        '',
        '',
      ].join('\n'),
    );
    try {
      const input = JSON.stringify({ diff: readFileSync(join(dir, 'samples', 'sample.diff'), 'utf8') });
      const where = values.snapshots === undefined ? [] : ['--snapshots', values.snapshots];
      const code = await runCommand.run([workflowFile, '--input', input, '--run-id', runId, ...where], io);
      const record = await new FileStore({ dir: snapshotsDir(values.snapshots, io) }).read(runId);
      io.stdout.write(`\n${[...resultLines(record, verdictThreshold, p), ...nextLines(runId, values.snapshots, p)].join('\n')}\n`);
      return code;
    } finally {
      await sim.close();
    }
  },
};
