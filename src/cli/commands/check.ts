// `harness check`: static checks of workflow modules, as text for people or JSON for CI.
import { checkMachine, type CheckOptions, type Finding } from '../../check/index.ts';
import { loadWorkflow, WorkflowLoadError } from '../../runtime/index.ts';
import type { Workflow } from '../../steps/workflow.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';

const help = `Usage: harness check <workflow files...> [--json] [--input <json>]

Checks each workflow's machine without running it: unreachable states, states that cannot finish,
invokes without onError, invokes without an id (a warning: their calls are keyed under a name
derived from the step), guard-less automatic loops, bare 'after' delays (not resume-safe), actor
and guard names missing from setup(), and an initial context that is not plain JSON.

Options:
  --json           print [{ file, workflow, findings }] instead of text
  --input <json>   sample input for context factories ({ input }) => ... (default: the schema's
                   parse of {} when that succeeds, else {})

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 bad usage or a file failed to load.`;

export interface CheckReport {
  file: string;
  workflow: string;
  findings: Finding[];
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'check workflow machines for dead ends, unbounded loops and restore hazards',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      json: { type: 'boolean', default: false },
      input: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError('check needs at least one workflow file');
    const sampleInput = values.input === undefined ? undefined : parseInput(values.input);

    const reports: CheckReport[] = [];
    let loadFailed = false;
    for (const file of positionals) {
      let workflow: Workflow;
      try {
        ({ workflow } = await loadWorkflow(file, io.cwd));
      } catch (error) {
        if (!(error instanceof WorkflowLoadError)) throw error;
        io.stderr.write(`harness check: ${oneLine(error.message)}\n`);
        loadFailed = true;
        continue;
      }
      reports.push({ file, workflow: workflow.id, findings: checkMachine(workflow.machine, optionsFor(workflow, sampleInput)) });
    }

    if (values.json) io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else io.stdout.write(formatText(reports));
    if (loadFailed) return ExitCode.usage;
    return reports.some((r) => r.findings.some((f) => f.severity === 'error')) ? ExitCode.failed : ExitCode.ok;
  },
};

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--input must be JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** An explicit --input wins; else the schema's defaults, when an empty object satisfies it. */
function optionsFor(workflow: Workflow, sampleInput: unknown): CheckOptions {
  if (sampleInput !== undefined) return { sampleInput };
  const parsed = workflow.input.safeParse({});
  return parsed.success ? { sampleInput: parsed.data } : {};
}

function formatText(reports: readonly CheckReport[]): string {
  const lines = reports.flatMap((r) =>
    r.findings.map((f) => `${r.file}: ${f.severity} ${f.rule} at ${f.path}: ${oneLine(f.message)}`),
  );
  const all = reports.flatMap((r) => r.findings);
  const errors = all.filter((f) => f.severity === 'error').length;
  const warnings = all.length - errors;
  const n = reports.length;
  lines.push(`checked ${n} workflow${n === 1 ? '' : 's'}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`);
  return `${lines.join('\n')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
