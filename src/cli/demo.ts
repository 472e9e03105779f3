// `npm run demo`: reviews machines/samples/sample.diff with machines/code-review.ts through the `run` command, its
// replies served by the Ollama simulator started in this process, then explains the result and what to run next.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { verdictThreshold } from '../../machines/code-review.ts';
import { sampleReviewScript } from '../../machines/samples/review-replies.ts';
import { FileStore, newRunId, type RunRecord } from '../store/index.ts';
import { startSimulator } from '../testing/index.ts';
import type { CliIO } from './command.ts';
import { runCommand } from './commands/run.ts';
import { report } from './dispatch.ts';
import { colorEnabled, paint, processIO, type Paint } from './io.ts';
import { snapshotsDir } from './snapshots-dir.ts';

const workflowFile = fileURLToPath(new URL('../../machines/code-review.ts', import.meta.url));
const diffFile = fileURLToPath(new URL('../../machines/samples/sample.diff', import.meta.url));

interface ReviewResult {
  decision: string | null;
  mustFix: string[];
  findings: { specialty: string; severity: string }[];
  score: number | null;
}

const score = (value: number | null) => (value === null ? 'none' : value.toFixed(2));

/** What the run shows: the verdict, the findings by severity, and how the verdict got past the judge. */
function resultLines(record: RunRecord, p: Paint): string[] {
  const output = record.output as ReviewResult | undefined;
  if (!output) return [`The run ended ${record.status} without output.`];
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
    const reasons = (entry.result.metadata as { scoreReasons?: string[] }).scoreReasons ?? [];
    const passed = entry.result.score !== null && entry.result.score >= verdictThreshold;
    const outcome = passed ? p.green('accepted') : p.yellow(`below ${verdictThreshold}: escalated`);
    lines.push(`  ${entry.result.model.padEnd(18)} judge score ${score(entry.result.score)}, ${outcome}`);
    for (const reason of reasons) lines.push(`  ${' '.repeat(18)}   - ${reason}`);
  }
  return lines;
}

function nextLines(runId: string, p: Paint): string[] {
  const rows: [string, string][] = [
    [`npx harness show ${runId}`, 'every step and model call: attempts, scores, tokens, timings'],
    [`npx harness resume ${runId}`, 'continues a run stopped with Ctrl-C (a finished run is refused, exit 3);'],
    ['', 'it needs models at OLLAMA_HOST: e.g. `npx harness simulate` in another terminal'],
    ['npx harness inspect', 'the local inspector page: statechart, timeline, model calls'],
  ];
  const width = Math.max(...rows.map(([command]) => command.length));
  return ['', p.bold('Next'), ...rows.map(([command, what]) => `  ${command.padEnd(width)}  ${p.dim(what)}`)];
}

async function demo(io: CliIO): Promise<number> {
  const p = paint(colorEnabled(io.stdout, io.env));
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
      p.bold('harness demo: code review of machines/samples/sample.diff'),
      `Replies are simulated by the built-in Ollama simulator (${sim.url}); no model runs.`,
      'The simulator follows a script: canned specialist findings, a careless verdict from the 7b model, a careful',
      'one from the 32b model, and a judge that grades a verdict by whether it names every error-severity finding.',
      '',
      '',
    ].join('\n'),
  );
  try {
    const input = JSON.stringify({ diff: readFileSync(diffFile, 'utf8') });
    const code = await runCommand.run([workflowFile, '--input', input, '--run-id', runId], io);
    const record = await new FileStore({ dir: snapshotsDir(undefined, io) }).read(runId);
    io.stdout.write(`\n${[...resultLines(record, p), ...nextLines(runId, p)].join('\n')}\n`);
    return code;
  } catch (error) {
    return report(error, io);
  } finally {
    await sim.close();
  }
}

process.exitCode = await demo(processIO());
