// The OpenAI layer's request conversion (openai/openai.go FromChatRequest, FromCompleteRequest): messages, content
// parts, images, tool calls, options and reasoning effort become a native body, or the error Ollama answers with.
import { base64ErrorOffset } from './gotypes.ts';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Options as FromChatRequest/FromCompleteRequest set them: temperature and top_p default to 1. */
export function optionsFrom(body: Json): Json {
  const options: Json = {};
  if (typeof body.stop === 'string') options.stop = [body.stop];
  else if (Array.isArray(body.stop)) options.stop = body.stop.filter((s) => typeof s === 'string');
  if (typeof body.max_tokens === 'number') options.num_predict = body.max_tokens;
  options.temperature = typeof body.temperature === 'number' ? body.temperature : 1;
  if (typeof body.seed === 'number') options.seed = body.seed;
  if (typeof body.frequency_penalty === 'number') options.frequency_penalty = body.frequency_penalty;
  if (typeof body.presence_penalty === 'number') options.presence_penalty = body.presence_penalty;
  options.top_p = typeof body.top_p === 'number' && body.top_p !== 0 ? body.top_p : 1;
  return options;
}

/** thinkFromReasoningEffort: OpenAI's efforts clamp to Ollama's levels; "" keeps the model's default. */
export function thinkFrom(body: Json): { think?: unknown; error?: string } {
  const effort = isRecord(body.reasoning) && typeof body.reasoning.effort === 'string'
    ? body.reasoning.effort
    : typeof body.reasoning_effort === 'string' ? body.reasoning_effort : '';
  switch (effort) {
    case '':
      return {};
    case 'none':
      return { think: false };
    case 'minimal':
      return { think: 'low' };
    case 'low':
    case 'medium':
    case 'high':
    case 'max':
      return { think: effort };
    case 'xhigh':
    case 'ultra':
      return { think: 'max' };
    default:
      return {
        error: `invalid reasoning value: ${JSON.stringify(effort)} (must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none")`,
      };
  }
}

/** Go's %T of a value decoded into `any`. */
export function goTypeOf(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value === 'number') return 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return Array.isArray(value) ? '[]interface {}' : 'map[string]interface {}';
}

/** FromCompletionToolCall: each arguments string must hold a JSON object (json.Unmarshal into the ordered map). */
function fromOpenAIToolCalls(value: unknown): Json[] | string {
  if (!Array.isArray(value)) return [];
  const calls: Json[] = [];
  for (const call of value.filter(isRecord)) {
    const fn = isRecord(call.function) ? call.function : {};
    let args: unknown;
    try {
      args = JSON.parse(typeof fn.arguments === 'string' ? fn.arguments : '');
    } catch {
      return 'invalid tool call arguments';
    }
    if (!isRecord(args)) return 'invalid tool call arguments';
    calls.push({ ...(typeof call.id === 'string' ? { id: call.id } : {}), function: { index: call.index ?? 0, name: fn.name ?? '', arguments: args } });
  }
  return calls;
}

const IMAGE_TYPES = ['jpeg', 'jpg', 'png', 'webp'];

/** decodeImageURL: only base64 data URLs of those types (or with a blank type) become image bytes. */
function decodeImageURL(url: string): string | { error: string } {
  if (url.startsWith('http://') || url.startsWith('https://')) {
    return { error: 'image URLs are not currently supported, please use base64 encoded data instead' };
  }
  const prefix = ['data:;base64,', ...IMAGE_TYPES.map((t) => `data:image/${t};base64,`)].find((p) => url.startsWith(p));
  if (prefix === undefined) return { error: 'invalid image input' };
  const data = url.slice(prefix.length);
  return base64ErrorOffset(data) >= 0 ? { error: 'invalid image input' } : data;
}

/** One part of an array content: a message of its own, or the error to answer with. */
function fromPart(role: string, part: unknown): Json | string {
  if (!isRecord(part)) return 'invalid message format';
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' ? { role, content: part.text } : 'invalid message format';
    case 'image_url': {
      const url = isRecord(part.image_url) ? part.image_url.url : part.image_url;
      if (typeof url !== 'string') return 'invalid message format';
      const image = decodeImageURL(url);
      return typeof image === 'string' ? { role, content: '', images: [image] } : image.error;
    }
    case 'input_audio': {
      if (!isRecord(part.input_audio)) return 'invalid input_audio format';
      const data = part.input_audio.data;
      if (typeof data !== 'string') return 'invalid input_audio format: missing data';
      const at = base64ErrorOffset(data);
      return at >= 0 ? `invalid input_audio base64 data: illegal base64 data at input byte ${at}` : { role, content: '', images: [data] };
    }
    default:
      return 'invalid message format';
  }
}

/** The tool's name of a tool message: its own `name`, else the assistant call with that id (last one wins). */
function toolNameOf(raw: Json, messages: unknown[]): string {
  if (typeof raw.role !== 'string' || raw.role.toLowerCase() !== 'tool') return '';
  if (typeof raw.name === 'string' && raw.name !== '') return raw.name;
  if (typeof raw.tool_call_id !== 'string' || raw.tool_call_id === '') return '';
  for (const m of [...messages].reverse()) {
    const hit = isRecord(m) && Array.isArray(m.tool_calls) ? m.tool_calls.find((c: unknown) => isRecord(c) && c.id === raw.tool_call_id) : undefined;
    if (isRecord(hit) && isRecord(hit.function) && typeof hit.function.name === 'string') return hit.function.name;
  }
  return '';
}

/** FromChatRequest's message conversion (openai/openai.go); a string is the error to answer with. */
export function nativeMessages(messages: unknown[]): Json[] | string {
  const out: Json[] = [];
  for (const raw of messages.filter(isRecord)) {
    const role = typeof raw.role === 'string' ? raw.role : '';
    const toolName = toolNameOf(raw, messages);
    const extra = (toolCalls: Json[]) => ({
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      ...(toolName !== '' ? { tool_name: toolName } : {}),
      ...(typeof raw.reasoning === 'string' && raw.reasoning !== '' ? { thinking: raw.reasoning } : {}),
    });
    if (typeof raw.content === 'string') {
      const toolCalls = fromOpenAIToolCalls(raw.tool_calls);
      if (typeof toolCalls === 'string') return toolCalls;
      out.push({ role, content: raw.content, ...extra(toolCalls) });
    } else if (Array.isArray(raw.content)) {
      for (const part of raw.content) {
        const message = fromPart(role, part);
        if (typeof message === 'string') return message;
        out.push(message);
      }
      if (out.length > 0 && Array.isArray(raw.tool_calls) && raw.tool_calls.length > 0) {
        const toolCalls = fromOpenAIToolCalls(raw.tool_calls);
        if (typeof toolCalls === 'string') return toolCalls;
        Object.assign(out.at(-1) as Json, extra(toolCalls));
      }
    } else if (raw.tool_calls !== undefined) {
      // Content may be left out only next to tool calls (which then carry no tool name).
      const toolCalls = fromOpenAIToolCalls(raw.tool_calls);
      if (typeof toolCalls === 'string') return toolCalls;
      out.push({ role, content: '', ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}), ...(typeof raw.reasoning === 'string' && raw.reasoning !== '' ? { thinking: raw.reasoning } : {}) });
    } else {
      return `invalid message content type: ${goTypeOf(raw.content)}`;
    }
  }
  return out;
}


/** response_format: json_object → "json", json_schema → its schema, anything else → no format. */
export function responseFormat(format: Json): unknown {
  const type = typeof format.type === 'string' ? format.type.trim().toLowerCase() : '';
  if (type === 'json_object') return 'json';
  if (type === 'json_schema' && isRecord(format.json_schema)) return format.json_schema.schema;
  return undefined;
}
