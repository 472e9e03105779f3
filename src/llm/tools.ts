// Tools in a call: their wire form for Ollama, and the check of every call a reply makes against them.
import type { Tool } from 'ollama';
import { formatSchema } from './config.ts';
import type { ToolCall, ToolSpec, ValidationIssue } from './types.ts';

/** Ollama's `tools`; each `input` becomes JSON Schema the way `format` does (cached per schema). */
export function toolsForOllama(tools: readonly ToolSpec[]): Tool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: formatSchema(tool.input) },
  }));
}

export interface CheckedToolCalls {
  /** Each call, with `arguments` replaced by the zod output when it passed. */
  calls: ToolCall[];
  /** Paths are `tool_calls.<i>.name` or `tool_calls.<i>.arguments.<zod path>`; messages name the tool. */
  issues: ValidationIssue[];
}

/** Validates every call; an unknown tool or arguments that fail its schema are issues, as a bad reply's are. */
export function checkToolCalls(calls: readonly ToolCall[], tools: readonly ToolSpec[]): CheckedToolCalls {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const known = tools.length === 0 ? 'no tools were offered' : `the tools are: ${tools.map((t) => t.name).join(', ')}`;
  const issues: ValidationIssue[] = [];
  const checked = calls.map((call, index): ToolCall => {
    const tool = byName.get(call.name);
    if (tool === undefined) {
      issues.push({ path: `tool_calls.${index}.name`, message: `unknown tool ${JSON.stringify(call.name)}; ${known}` });
      return call;
    }
    const parsed = tool.input.safeParse(call.arguments);
    if (parsed.success) return { ...call, arguments: parsed.data };
    for (const issue of parsed.error.issues) {
      const path = [`tool_calls.${index}.arguments`, ...issue.path.map(String)].join('.');
      issues.push({ path, message: `tool ${JSON.stringify(call.name)}: ${issue.message}` });
    }
    return call;
  });
  return { calls: checked, issues };
}
