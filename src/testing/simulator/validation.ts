// What Ollama refuses after a body decodes: option values (api.Options.FromMap), model names (types/model/name.go),
// top_logprobs — each with Ollama's own status and text.

type OptionType = 'integer' | 'float32' | 'boolean' | 'strings';

// api.Options and its embedded api.Runner, by JSON name. FromMap takes any JSON number for an int field (Go's
// JSON numbers are float64 and are truncated), only a number for a float32, only a bool for a bool, and a list of
// strings for stop. Keys not in the table are logged by Ollama and ignored, and null skips a key.
const OPTION_TYPES: Readonly<Record<string, OptionType>> = {
  num_keep: 'integer',
  seed: 'integer',
  num_predict: 'integer',
  top_k: 'integer',
  top_p: 'float32',
  min_p: 'float32',
  typical_p: 'float32',
  repeat_last_n: 'integer',
  temperature: 'float32',
  repeat_penalty: 'float32',
  presence_penalty: 'float32',
  frequency_penalty: 'float32',
  stop: 'strings',
  num_ctx: 'integer',
  num_batch: 'integer',
  num_gpu: 'integer',
  main_gpu: 'integer',
  use_mmap: 'boolean',
  num_thread: 'integer',
  draft_num_predict: 'integer',
};

/**
 * FromMap's error for the first option of the wrong type (Go walks the map in random order; the simulator in
 * body order), or undefined. Ollama answers it with 500: it surfaces from scheduleRunner's generic branch.
 */
export function optionError(options: Record<string, unknown> | undefined): string | undefined {
  for (const [key, value] of Object.entries(options ?? {})) {
    const type = OPTION_TYPES[key];
    if (type === undefined || value === null) continue;
    if (type === 'integer' && typeof value !== 'number') return `option ${JSON.stringify(key)} must be of type integer`;
    if (type === 'float32' && typeof value !== 'number') return `option ${JSON.stringify(key)} must be of type float32`;
    if (type === 'boolean' && typeof value !== 'boolean') return `option ${JSON.stringify(key)} must be of type boolean`;
    if (type === 'strings') {
      if (!Array.isArray(value)) return `option ${JSON.stringify(key)} must be of type array`;
      if (value.some((item) => typeof item !== 'string')) return `option ${JSON.stringify(key)} must be of an array of strings`;
    }
  }
  return undefined;
}

/** The range GenerateHandler and ChatHandler check before looking the model up. */
export function topLogprobsError(topLogprobs: unknown): string | undefined {
  return typeof topLogprobs === 'number' && (topLogprobs < 0 || topLogprobs > 20) ? 'top_logprobs must be between 0 and 20' : undefined;
}

interface ModelName {
  host: string;
  namespace: string;
  model: string;
  tag: string;
}

const MISSING = '!MISSING!';

/** cutPromised: an empty side of the separator becomes a part that can never be valid. */
function cutLast(s: string, sep: string): [string, string] | undefined {
  const at = s.lastIndexOf(sep);
  if (at < 0) return undefined;
  return [s.slice(0, at) || MISSING, s.slice(at + sep.length) || MISSING];
}

/** model.ParseName: the name's parts, defaults merged in (registry.ollama.ai/library/…:latest). */
export function parseModelName(text: string): ModelName {
  let s = text;
  let tag = '';
  if (s.lastIndexOf(':') > s.lastIndexOf('/')) [s, tag] = cutLast(s, ':') as [string, string];
  const name: ModelName = { host: '', namespace: '', model: s, tag };
  const model = cutLast(s, '/');
  if (model) {
    [s, name.model] = model;
    const namespace = cutLast(s, '/');
    if (namespace) {
      [s, name.namespace] = namespace;
      const scheme = s.indexOf('://');
      name.host = scheme >= 0 ? s.slice(scheme + 3) : s;
    } else name.namespace = s;
  }
  return {
    host: name.host || 'registry.ollama.ai',
    namespace: name.namespace || 'library',
    model: name.model,
    tag: name.tag || 'latest',
  };
}

/** isValidPart: 1–80 characters (host 350), starting alphanumeric or '_', then also '-', '.' (not in a namespace), ':' (host only). */
function validPart(kind: 'host' | 'namespace' | 'model' | 'tag', s: string): boolean {
  if (s.length < 1 || s.length > (kind === 'host' ? 350 : 80)) return false;
  const rest = kind === 'host' ? /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/ : kind === 'namespace' ? /^[A-Za-z0-9_][A-Za-z0-9_-]*$/ : /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
  return rest.test(s);
}

/** Name.IsValid: every part fully qualified. */
export function validModelName(text: string): boolean {
  const n = parseModelName(text);
  return validPart('host', n.host) && validPart('namespace', n.namespace) && validPart('model', n.model) && validPart('tag', n.tag);
}

/** Name.DisplayShortest: what /api/show prints in its "not found" (a bare name gains ":latest"). */
export function displayShortest(text: string): string {
  const n = parseModelName(text);
  if (n.host.toLowerCase() !== 'registry.ollama.ai') return `${n.host}/${n.namespace}/${n.model}:${n.tag}`;
  if (n.namespace.toLowerCase() !== 'library') return `${n.namespace}/${n.model}:${n.tag}`;
  return `${n.model}:${n.tag}`;
}

/**
 * parseAndValidateModelRef: the name trimmed; "model is required" when empty, "invalid model name" when a part
 * breaks the rules; undefined when fine.
 */
export function modelRefError(model: string): 'model is required' | 'invalid model name' | undefined {
  const trimmed = model.trim();
  if (trimmed === '') return 'model is required';
  return validModelName(trimmed) ? undefined : 'invalid model name';
}
