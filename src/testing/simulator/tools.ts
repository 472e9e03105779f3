// Tool calling: reading offered tools, deciding when to call one, synthesizing its arguments, and the `tools` fault.
import { createRandom, hashString } from '../../util/random.ts';
import { synthesize, violate, type Json } from './schema.ts';
import type { SimMessage, SimTool, SimToolCall } from './types.ts';

/** A tool call as it goes on the wire: Ollama always fills `id` and `function.index`. */
export interface WireToolCall {
  id: string;
  function: { index: number; name: string; arguments: Record<string, unknown> };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The function tools of a request; malformed entries are skipped, as a model would never call them. */
export function readTools(value: unknown): SimTool[] {
  if (!Array.isArray(value)) return [];
  const tools: SimTool[] = [];
  for (const item of value) {
    if (!isRecord(item) || !isRecord(item.function) || typeof item.function.name !== 'string') continue;
    const fn = item.function;
    tools.push({
      type: typeof item.type === 'string' ? item.type : 'function',
      function: {
        name: fn.name as string,
        ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
        ...(fn.parameters !== undefined ? { parameters: fn.parameters } : {}),
      },
    });
  }
  return tools;
}

/**
 * A model with tools calls one until it has results to answer from: true when no `tool` message follows the
 * last user message (a new question starts a new round of calls).
 */
export function wantsToolCall(messages: readonly SimMessage[]): boolean {
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  return !messages.slice(lastUser + 1).some((m) => m.role === 'tool');
}

/** Go's toolCallId: `call_` and 8 of [a-z0-9], here drawn from the seeded generator so replies are reproducible. */
function callId(random: () => number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < 8; i++) id += letters[Math.floor(random() * letters.length)];
  return `call_${id}`;
}

function argumentsFor(tool: SimTool, random: () => number): Record<string, unknown> {
  const schema = tool.function.parameters ?? { type: 'object', properties: {} };
  const value = synthesize(schema, random);
  return isRecord(value) ? value : {};
}

/** One call to a tool chosen by the seed, with arguments that satisfy its `parameters` schema. */
export function synthesizeToolCalls(tools: readonly SimTool[], key: string): WireToolCall[] {
  const random = createRandom(hashString(`tools|${key}`));
  const tool = tools[Math.floor(random() * tools.length)];
  if (!tool) return [];
  return [{ id: callId(random), function: { index: 0, name: tool.function.name, arguments: argumentsFor(tool, random) } }];
}

/** Scripted calls on the wire: the ids and indexes a script left out are filled in like the real server's. */
export function toWire(calls: readonly SimToolCall[], key: string): WireToolCall[] {
  const random = createRandom(hashString(`toolids|${key}`));
  return calls.map((call, index) => ({
    id: call.id ?? callId(random),
    function: { index: call.function.index ?? index, name: call.function.name, arguments: call.function.arguments },
  }));
}

/**
 * The `tools` fault: what models really do wrong — call a tool nobody offered, or send arguments that break its
 * schema (when the schema has anything to break).
 */
export function corruptToolCalls(calls: WireToolCall[], tools: readonly SimTool[], key: string): WireToolCall[] {
  const random = createRandom(hashString(`toolfault|${key}`));
  const first = calls[0];
  if (!first) return calls;
  const tool = tools.find((t) => t.function.name === first.function.name);
  const broken =
    tool?.function.parameters !== undefined && random() < 0.5
      ? violate(tool.function.parameters, first.function.arguments as Json)
      : undefined;
  const replaced: WireToolCall = isRecord(broken)
    ? { ...first, function: { ...first.function, arguments: broken } }
    : { ...first, function: { ...first.function, name: `${first.function.name}_unknown` } };
  return [replaced, ...calls.slice(1)];
}
