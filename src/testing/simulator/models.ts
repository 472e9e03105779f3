// The simulated model table: families, details and capabilities, in the shapes of /api/tags, /api/show and /api/ps.
import { createHash } from 'node:crypto';
import { LIBRARY, libraryTags, type LibraryModel } from './model-library.ts';
import type { Capability, SimModel } from './types.ts';

export const DEFAULT_MODELS = [
  'qwen2.5-coder:7b',
  'qwen2.5-coder:14b',
  'qwen2.5-coder:32b',
  'llama3.2:3b',
  'nomic-embed-text',
];

/** A fixed date for configured models, so that listings are reproducible. */
const MODIFIED_AT = '2025-06-01T12:00:00.000000000Z';

export interface ModelDetails {
  parent_model: string;
  format: string;
  family: string;
  families: string[];
  parameter_size: string;
  quantization_level: string;
}

export interface ModelEntry {
  /** The name as configured (the key of stats.byModel). */
  name: string;
  /** `name:tag` as Ollama lists it (`:latest` added when no tag was given). */
  fullName: string;
  digest: string;
  size: number;
  details: ModelDetails;
  capabilities: Capability[];
  contextLength: number;
  /** The Modelfile's `PARAMETER num_ctx`, when it sets one. */
  numCtx?: number;
  embeddingLength: number;
  parameterCount: number;
  modifiedAt: string;
  /** Set by /api/create. */
  system?: string;
  template?: string;
}

interface Family {
  family: string;
  families?: string[];
  capabilities: readonly Capability[];
  contextLength: number;
  embeddingLength: number;
  /** Parameters when the tag does not say (e.g. `nomic-embed-text:latest`). */
  parameters: number;
  quantization: string;
  /** The library's tags: parameters of a named tag (`phi3:mini`), and windows that differ by size. */
  tags?: Readonly<Record<string, number>>;
  contextByTag?: Readonly<Record<string, number>>;
}

const completionTools: Capability[] = ['completion', 'tools'];

/** A library model as a family: its default tag's size, its own tags kept for the sizes they name. */
function familyOf(model: LibraryModel): Family {
  return { ...model, parameters: Object.values(model.tags)[0] ?? 7e9 };
}

/** Names /api/pull can fetch from the simulated registry.ollama.ai. */
export const LIBRARY_NAMES: readonly string[] = LIBRARY.map(([name]) => name);

/** The defaults first, then every library model under every tag it lists (`phi3:latest`, `phi3:mini`, …), once each. */
export function libraryModels(): string[] {
  const seen = new Set<string>();
  return [...DEFAULT_MODELS, ...libraryTags()].filter((name) => {
    const full = canonicalName(name);
    if (seen.has(full)) return false;
    seen.add(full);
    return true;
  });
}

/** Ollama treats `x` and `x:latest` as one model, case-insensitively. */
export function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  const lastSegment = lower.slice(lower.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? lower : `${lower}:latest`;
}

/** The model part of a name: `library/qwen3:8b` → `qwen3`. */
export function baseName(name: string): string {
  const full = canonicalName(name);
  const path = full.slice(0, full.lastIndexOf(':'));
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A name outside the known library: a family guessed from the name, completion and tools (or embedding). */
function guessFamily(base: string): Family {
  if (base.includes('embed')) {
    return { family: 'nomic-bert', capabilities: ['embedding'], contextLength: 2048, embeddingLength: 768, parameters: 137e6, quantization: 'F16' };
  }
  const family = base.startsWith('llama') || base.startsWith('codellama') ? 'llama' : (/^[a-z]+[0-9]*/.exec(base)?.[0] ?? base);
  return { family, capabilities: completionTools, contextLength: 32768, embeddingLength: 4096, parameters: 7e9, quantization: 'Q4_K_M' };
}

function familyFor(base: string): Family {
  const known = LIBRARY.find(([prefix]) => base === prefix || base.startsWith(prefix))?.[1];
  return known ? familyOf(known) : guessFamily(base);
}

/** A tag as the library names it: `mini`, or `7b-instruct-q8_0` read as its `7b`. */
function libraryTag(known: Family, tag: string): string | undefined {
  const tags = Object.keys(known.tags ?? {});
  return tags.find((t) => t === tag) ?? tags.find((t) => tag.startsWith(`${t}-`));
}

function formatSize(count: number): string {
  const [unit, scale] = count >= 1e9 ? ['B', 1e9] : ['M', 1e6];
  return `${Number((count / scale).toFixed(1))}${unit}`;
}

function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([bm])$/i.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (match[2]?.toLowerCase() === 'b' ? 1e9 : 1e6);
}

export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The table row for a configured name or entry. Throws RangeError for an entry Ollama could not have. */
export function describe(input: string | SimModel, modifiedAt = MODIFIED_AT): ModelEntry {
  const spec: SimModel = typeof input === 'string' ? { name: input } : input;
  const fullName = canonicalName(spec.name);
  const tag = fullName.slice(fullName.lastIndexOf(':') + 1);
  const known = familyFor(baseName(spec.name));
  // A size in the tag (`:14b`, `:0.6b`, `:20b-q8_0`), else the library's size for a named tag (`mini`, `8x7b`, `e2b`),
  // wins over the family default.
  const named = libraryTag(known, tag);
  const fromTag = parseSize(/^(\d+(?:\.\d+)?[bm])/.exec(tag)?.[1] ?? '') ?? (named === undefined ? undefined : known.tags?.[named]);
  const parameterCount = (spec.parameterSize ? parseSize(spec.parameterSize) : undefined) ?? fromTag ?? known.parameters;
  const capabilities = spec.capabilities ?? known.capabilities;
  if (capabilities.length === 0) throw new RangeError(`model ${spec.name} needs at least one capability`);
  for (const [field, value] of [['contextLength', spec.contextLength], ['numCtx', spec.numCtx]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new RangeError(`model ${spec.name}: ${field} must be a positive integer, got ${String(value)}`);
  }
  const quantization = spec.quantization ?? known.quantization;
  const family = spec.family ?? known.family;
  const bytesPerParameter = quantization.startsWith('F') ? 2 : quantization.startsWith('Q8') ? 1.06 : 0.6;
  return {
    name: spec.name,
    fullName,
    digest: digestOf(fullName),
    size: Math.round(parameterCount * bytesPerParameter),
    details: {
      parent_model: '',
      format: 'gguf',
      family,
      families: spec.family ? [family] : (known.families ?? [family]),
      parameter_size: spec.parameterSize ?? formatSize(parameterCount),
      quantization_level: quantization,
    },
    capabilities: [...capabilities],
    contextLength: spec.contextLength ?? (named === undefined ? undefined : known.contextByTag?.[named]) ?? known.contextLength,
    ...(spec.numCtx !== undefined ? { numCtx: spec.numCtx } : {}),
    embeddingLength: spec.embeddingLength ?? known.embeddingLength,
    parameterCount,
    modifiedAt,
  };
}

/** The models the simulator has now: /api/pull, /api/create, /api/copy and /api/delete change it. */
export class ModelCatalog {
  readonly #byName = new Map<string, ModelEntry>();

  constructor(models: readonly (string | SimModel)[]) {
    for (const model of models) this.add(describe(model));
  }

  find(name: string): ModelEntry | undefined {
    return this.#byName.get(canonicalName(name));
  }

  /** Adds or replaces (same full name) an entry. */
  add(entry: ModelEntry): void {
    this.#byName.set(entry.fullName, entry);
  }

  remove(name: string): boolean {
    return this.#byName.delete(canonicalName(name));
  }

  /** Newest first, as /api/tags sorts; configured models (one shared date) keep their configured order. */
  list(): ModelEntry[] {
    return [...this.#byName.values()].sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
  }
}

/** api.ListModelResponse: the list also carries capabilities and the context and embedding lengths. */
export function tagsEntry(entry: ModelEntry) {
  return {
    name: entry.fullName,
    model: entry.fullName,
    modified_at: entry.modifiedAt,
    size: entry.size,
    digest: entry.digest,
    details: { ...entry.details, context_length: entry.contextLength, embedding_length: entry.embeddingLength },
    capabilities: entry.capabilities,
  };
}

/** `numCtx`: the context the loaded runner was started with (what `/api/ps` reports as `context_length`). */
export function psEntry(entry: ModelEntry, expiresAt: Date, numCtx: number) {
  return {
    name: entry.fullName,
    model: entry.fullName,
    size: entry.size,
    digest: entry.digest,
    // PsHandler builds its details without the parent model.
    details: { ...entry.details, parent_model: '' },
    expires_at: expiresAt.toISOString(),
    size_vram: entry.size,
    context_length: numCtx,
  };
}

const CHAT_TEMPLATE =
  '{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}' +
  '{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n';

/** The template a model's chat turns go through: thinking models open a <think> block, as qwen3's does. */
function templateOf(entry: ModelEntry): string {
  if (entry.template !== undefined) return entry.template;
  if (!entry.capabilities.includes('completion')) return '{{ .Prompt }}';
  return entry.capabilities.includes('thinking') ? `${CHAT_TEMPLATE}{{ if .Think }}<think>\n{{ end }}` : CHAT_TEMPLATE;
}

export function showResponse(entry: ModelEntry) {
  const completion = entry.capabilities.includes('completion');
  const template = templateOf(entry);
  // Go prints parameters with fmt.Sprintf("%-*s %#v", 30, key, value). Only a Modelfile that sets num_ctx lists it:
  // library models do not, and run with the server's default.
  const parameters = !completion ? '' : [...(entry.numCtx !== undefined ? ['num_ctx'] : []), 'stop', 'temperature']
    .map((key) => {
      const value = key === 'num_ctx' ? String(entry.numCtx) : key === 'stop' ? '"<|im_end|>"' : '0.7';
      return `${key.padEnd(30)} ${value}`;
    })
    .join('\n');
  const modelfile = [
    '# Modelfile generated by "ollama show"',
    '# To build a new Modelfile based on this, replace FROM with:',
    `# FROM ${entry.fullName}`,
    '',
    `FROM /simulated/models/blobs/sha256-${entry.digest}`,
    `TEMPLATE """${template}"""`,
    ...(entry.system !== undefined ? [`SYSTEM """${entry.system}"""`] : []),
    ...parameters.split('\n').filter(Boolean).map((line) => `PARAMETER ${line.replace(/\s+/, ' ')}`),
    '',
  ].join('\n');
  const family = entry.details.family;
  // api.ShowResponse: license, parameters, system and the rest are omitempty; model_info is always there.
  return {
    modelfile,
    ...(parameters !== '' ? { parameters } : {}),
    template,
    ...(entry.system !== undefined ? { system: entry.system } : {}),
    details: entry.details,
    model_info: {
      'general.architecture': family,
      'general.parameter_count': entry.parameterCount,
      [`${family}.context_length`]: entry.contextLength,
      [`${family}.embedding_length`]: entry.embeddingLength,
    },
    capabilities: entry.capabilities,
    modified_at: entry.modifiedAt,
  };
}
