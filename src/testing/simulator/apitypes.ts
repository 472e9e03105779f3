// The request structs of Ollama's api/types.go and openai/openai.go as Go decodes them, with their UnmarshalJSON
// methods (ThinkValue, Duration, Message, tool arguments and schemas): what a body may hold, and what is refused.
import { plain, type GoNode } from './gojson.ts';
import { unmarshalInto, type GoType, type Unmarshaled } from './gotypes.ts';
import { keepAliveFromJson } from './time.ts';

const str: GoType = { kind: 'string' };
const bool: GoType = { kind: 'bool' };
const int: GoType = { kind: 'int' };
const any: GoType = { kind: 'any' };
const float64: GoType = { kind: 'float', name: 'float64' };
const float32: GoType = { kind: 'float', name: 'float32' };
const strings: GoType = { kind: 'slice', elem: str };
const anyMap: GoType = { kind: 'map', elem: any };

function struct(pkg: string, name: string, fields: () => Record<string, GoType>, anonymous?: string): GoType {
  return { kind: 'struct', pkg, name, fields, ...(anonymous ? { anonymous } : {}) };
}

export const THINK_LEVELS = ['high', 'medium', 'low', 'max'];

/** api.ThinkValue.UnmarshalJSON: a bool, or one of the levels. */
const think: GoType = {
  kind: 'custom',
  name: 'api.ThinkValue',
  pointer: true,
  unmarshal: (node) => {
    if (node.t === 'bool') return { value: node.value };
    if (node.t === 'string') {
      if (THINK_LEVELS.includes(node.value)) return { value: node.value };
      return { error: `invalid think value: ${JSON.stringify(node.value)} (must be "high", "medium", "low", "max", true, or false)` };
    }
    return { error: 'think must be a boolean or string ("high", "medium", "low", "max", true, or false)' };
  },
};

/** api.Duration.UnmarshalJSON (keep_alive): decoded to milliseconds here. */
const duration: GoType = {
  kind: 'custom',
  name: 'api.Duration',
  pointer: true,
  unmarshal: (node) => {
    const result = keepAliveFromJson(plain(node));
    return 'ms' in result ? { value: result.ms } : result;
  },
};

/**
 * api.ToolCallFunctionArguments unmarshals through an ordered map whose parser (buger/jsonparser's ObjectEach)
 * refuses anything but an object, JSON null included.
 */
const MALFORMED_OBJECT = "Value looks like object, but can't find closing '}' symbol";
const toolArguments: GoType = {
  kind: 'custom',
  name: 'api.ToolCallFunctionArguments',
  pointer: false,
  unmarshal: (node) => (node.t === 'object' ? { value: plain(node) } : { error: MALFORMED_OBJECT }),
};

/** api.PropertyType: a string or a list of strings (the latter through a fresh json.Unmarshal into []string). */
const propertyType: GoType = {
  kind: 'custom',
  name: 'api.PropertyType',
  pointer: false,
  unmarshal: (node) => (node.t === 'string' ? { value: node.value } : unmarshalInto(node, strings)),
};

/** *api.ToolPropertiesMap: an object (same ordered-map parser) whose values each decode as an api.ToolProperty. */
const toolProperties: GoType = {
  kind: 'custom',
  name: '*api.ToolPropertiesMap',
  pointer: true,
  unmarshal: (node): Unmarshaled => {
    if (node.t !== 'object') return { error: MALFORMED_OBJECT };
    const out: Record<string, unknown> = {};
    for (const [key, value] of node.entries) {
      const result = unmarshalInto(value, toolProperty);
      if (!('value' in result)) return result;
      out[key] = result.value;
    }
    return { value: out };
  },
};

const toolProperty: GoType = struct('api', 'ToolProperty', () => ({
  anyOf: { kind: 'slice', elem: toolProperty },
  type: propertyType,
  items: any,
  description: str,
  enum: { kind: 'slice', elem: any },
  properties: toolProperties,
  required: strings,
}));

const tool: GoType = struct('api', 'Tool', () => ({
  type: str,
  items: any,
  function: struct('api', 'ToolFunction', () => ({
    name: str,
    description: str,
    parameters: struct('api', 'ToolFunctionParameters', () => ({
      type: str,
      $defs: any,
      items: any,
      required: strings,
      properties: toolProperties,
    })),
  })),
}));

const toolCall: GoType = struct('api', 'ToolCall', () => ({
  id: str,
  function: struct('api', 'ToolCallFunction', () => ({ index: int, name: str, arguments: toolArguments })),
}));

const images: GoType = { kind: 'slice', elem: { kind: 'bytes', name: 'api.ImageData' } };

/** api.Message.UnmarshalJSON decodes a local Alias type, then lower-cases the role. */
const messageAlias: GoType = struct('api', 'Alias', () => ({
  role: str,
  content: str,
  thinking: str,
  images,
  tool_calls: { kind: 'slice', elem: toolCall },
  tool_name: str,
  tool_call_id: str,
}));
const message: GoType = {
  kind: 'custom',
  name: 'api.Message',
  pointer: false,
  unmarshal: (node: GoNode) => {
    const result = unmarshalInto(node, messageAlias);
    if (!('value' in result)) return result;
    const m = (result.value ?? {}) as Record<string, unknown>;
    return { value: { ...m, role: typeof m.role === 'string' ? m.role.toLowerCase() : '' } };
  },
};
const messages: GoType = { kind: 'slice', elem: message };

const inference = {
  stream: bool,
  format: any,
  keep_alive: duration,
  options: anyMap,
  think,
  truncate: bool,
  shift: bool,
  _debug_render_only: bool,
  logprobs: bool,
  top_logprobs: int,
};

export const ChatRequest = struct('api', 'ChatRequest', () => ({
  model: str,
  messages,
  tools: { kind: 'slice', elem: tool, name: 'api.Tools' },
  ...inference,
}));

export const GenerateRequest = struct('api', 'GenerateRequest', () => ({
  model: str,
  prompt: str,
  suffix: str,
  system: str,
  template: str,
  context: { kind: 'slice', elem: int },
  raw: bool,
  images,
  ...inference,
}));

export const EmbedRequest = struct('api', 'EmbedRequest', () => ({
  model: str,
  input: any,
  keep_alive: duration,
  truncate: bool,
  dimensions: int,
  options: anyMap,
}));

export const EmbeddingRequest = struct('api', 'EmbeddingRequest', () => ({ model: str, prompt: str, keep_alive: duration, options: anyMap }));
export const ShowRequest = struct('api', 'ShowRequest', () => ({ model: str, system: str, template: str, verbose: bool, options: anyMap, name: str }));
const registryFields = () => ({ model: str, insecure: bool, username: str, password: str, stream: bool, name: str });
export const PullRequest = struct('api', 'PullRequest', registryFields);
export const PushRequest = struct('api', 'PushRequest', registryFields);
export const DeleteRequest = struct('api', 'DeleteRequest', () => ({ model: str, name: str }));
export const CopyRequest = struct('api', 'CopyRequest', () => ({ source: str, destination: str }));
const files: GoType = { kind: 'map', elem: str };
export const CreateRequest = struct('api', 'CreateRequest', () => ({
  model: str,
  stream: bool,
  quantize: str,
  draft_quantize: str,
  from: str,
  remote_host: str,
  files,
  draft_files: files,
  adapters: files,
  template: str,
  license: any,
  system: str,
  parameters: anyMap,
  messages,
  renderer: str,
  parser: str,
  requires: str,
  info: anyMap,
  name: str,
  quantization: str,
}));

const streamOptions = struct('openai', 'StreamOptions', () => ({ include_usage: bool }));
const FUNCTION_STRUCT = 'struct { Name string "json:\\"name\\""; Arguments string "json:\\"arguments\\"" }';
const openaiToolCall = struct('openai', 'ToolCall', () => ({
  id: str,
  index: int,
  type: str,
  function: struct('openai', '', () => ({ name: str, arguments: str }), FUNCTION_STRUCT),
}));
const openaiMessage = struct('openai', 'Message', () => ({
  role: str,
  content: any,
  reasoning: str,
  tool_calls: { kind: 'slice', elem: openaiToolCall },
  name: str,
  tool_call_id: str,
}));

export const ChatCompletionRequest = struct('openai', 'ChatCompletionRequest', () => ({
  model: str,
  messages: { kind: 'slice', elem: openaiMessage },
  stream: bool,
  stream_options: streamOptions,
  max_tokens: int,
  seed: int,
  stop: any,
  temperature: float64,
  frequency_penalty: float64,
  presence_penalty: float64,
  top_p: float64,
  response_format: struct('openai', 'ResponseFormat', () => ({
    type: str,
    json_schema: struct('openai', 'JsonSchema', () => ({ schema: any })),
  })),
  tools: { kind: 'slice', elem: tool },
  reasoning: struct('openai', 'Reasoning', () => ({ effort: str })),
  reasoning_effort: str,
  logprobs: bool,
  top_logprobs: int,
  _debug_render_only: bool,
}));

export const CompletionRequest = struct('openai', 'CompletionRequest', () => ({
  model: str,
  prompt: str,
  frequency_penalty: float32,
  max_tokens: int,
  presence_penalty: float32,
  seed: int,
  stop: any,
  stream: bool,
  stream_options: streamOptions,
  temperature: float32,
  top_p: float32,
  suffix: str,
  logprobs: int,
  _debug_render_only: bool,
}));

export const OpenAIEmbedRequest = struct('openai', 'EmbedRequest', () => ({ input: any, model: str, dimensions: int, encoding_format: str }));
