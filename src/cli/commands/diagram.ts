// `harness diagram`: a workflow machine as a Mermaid state diagram or as its JSON definition.
import { toDefinitionJson, toMermaid } from '../../check/index.ts';
import { loadWorkflow, type LoadedWorkflow, WorkflowLoadError } from '../../runtime/index.ts';
import { type CliIO, type Command, ExitCode, parseFlags, UsageError } from '../command.ts';

const formats = ['mermaid', 'json'] as const;
type Format = (typeof formats)[number];

const help = `Usage: harness diagram <workflow file> [--format mermaid|json]

Prints the workflow's machine without running it:
  mermaid (default)  a Mermaid stateDiagram-v2 (paste into any Mermaid renderer)
  json               the machine definition, machine.toJSON()`;

export const diagramCommand: Command = {
  name: 'diagram',
  summary: 'print a workflow machine as a Mermaid diagram or JSON definition',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { format: { type: 'string', default: 'mermaid' } });
    if (positionals.length !== 1) throw new UsageError('diagram needs exactly one workflow file');
    const format = values.format as Format;
    if (!formats.includes(format)) throw new UsageError(`--format must be mermaid or json, got "${values.format}"`);

    let loaded: LoadedWorkflow;
    try {
      loaded = await loadWorkflow(positionals[0] as string, io.cwd);
    } catch (error) {
      if (!(error instanceof WorkflowLoadError)) throw error;
      io.stderr.write(`harness diagram: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return ExitCode.usage;
    }
    const { machine } = loaded.workflow;
    io.stdout.write(format === 'json' ? `${JSON.stringify(toDefinitionJson(machine), null, 2)}\n` : toMermaid(machine));
    return ExitCode.ok;
  },
};
