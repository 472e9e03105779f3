// The model config: its defaults, its validation, and the JSON Schema sent to Ollama for a zod schema.
import { z, type ZodType } from 'zod';
import { assertZod4Schema } from '../util/zod-version.ts';
import { ConfigError } from './errors.ts';
import type { ModelConfig } from './types.ts';

/** Defaults, in parity with the seed's HarnessConfig. */
export const defaultModelConfig = Object.freeze({
  model: 'qwen2.5-coder:7b',
  temperature: 0,
  maxTokens: 1024,
  json: false,
  timeoutMs: 120_000,
  maxRetries: 2,
  retryDelayMs: 1000,
} as const);

/** What callers may pass: any subset of ModelConfig. */
export type ModelConfigInput<T = unknown> = Partial<ModelConfig<T>> & { model?: string };

const finite = (what: string) => z.number({ error: `must be ${what}` }).refine(Number.isFinite, `must be ${what}`);

const isZodSchema = (value: unknown): value is ZodType => {
  assertZod4Schema(value, 'a model config schema or tool input');
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function';
};

// Unknown keys are stripped rather than rejected: steps pass their own settings alongside the model's.
const configSchema = z.object({
  model: z.string({ error: 'must be a model name' }).trim().min(1, 'must not be empty').default(defaultModelConfig.model),
  temperature: finite('a finite number').pipe(z.number().min(0, 'must be >= 0')).default(defaultModelConfig.temperature),
  maxTokens: z.number({ error: 'must be an integer' }).int('must be an integer').positive('must be > 0')
    .default(defaultModelConfig.maxTokens),
  json: z.boolean({ error: 'must be true or false' }).default(defaultModelConfig.json),
  timeoutMs: finite('a finite number of ms').pipe(z.number().positive('must be > 0')).default(defaultModelConfig.timeoutMs),
  maxRetries: z.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be >= 0')
    .default(defaultModelConfig.maxRetries),
  retryDelayMs: finite('a finite number of ms').pipe(z.number().min(0, 'must be >= 0'))
    .default(defaultModelConfig.retryDelayMs),
  schema: z.custom<ZodType>(isZodSchema, 'must be a zod schema').optional(),
  host: z.string({ error: 'must be a string' }).optional(),
  options: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
  think: z.union([z.boolean(), z.enum(['low', 'medium', 'high'])], { error: 'must be true, false, "low", "medium" or "high"' })
    .optional(),
  tools: z.array(z.object({
    name: z.string({ error: 'must be a tool name' }).regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _ . or -'),
    description: z.string({ error: 'must be a string' }),
    input: z.custom<ZodType>(isZodSchema, 'must be a zod schema'),
  }), { error: 'must be an array of tools' })
    // Calls are matched to tools by name: two tools with one name would make a call ambiguous.
    .refine((tools) => new Set(tools.map((t) => t.name)).size === tools.length, 'must have distinct names')
    .optional(),
  context: z.object({
    mode: z.enum(['auto', 'off'], { error: 'must be "auto" or "off"' }).optional(),
    maxNumCtx: z.number({ error: 'must be an integer' }).int('must be an integer').positive('must be > 0').optional(),
    ladder: z.array(z.number().int().positive(), { error: 'must be an array of positive integers' }).min(1, 'must not be empty').optional(),
    onTruncation: z.enum(['escalate', 'flag'], { error: 'must be "escalate" or "flag"' }).optional(),
    purpose: z.enum(['compaction'], { error: 'must be "compaction"' }).optional(),
  }, { error: 'must be an object' }).optional(),
});

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

type ValidConfig = z.infer<typeof configSchema>;

/** A frozen config cannot change: a step freezes the one it sends each model, and it is checked once, not every call. */
const frozenChecked = new WeakMap<object, ValidConfig>();

function validated(config: object): ValidConfig {
  const known = frozenChecked.get(config);
  if (known !== undefined) return known;
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'config';
    const got = issue?.path.length ? (config as Record<string, unknown>)[String(issue.path[0])] : config;
    throw new ConfigError(`invalid model config: ${field} ${issue?.message ?? 'is invalid'} (got ${describe(got)})`);
  }
  if (Object.isFrozen(config)) frozenChecked.set(config, parsed.data);
  return parsed.data;
}

/** Fills in the defaults and validates; throws ConfigError naming the first bad field. */
export function resolveConfig<T = unknown>(config: ModelConfigInput<T> = {}): ModelConfig<T> {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigError(`invalid model config: expected an object, got ${describe(config)}`);
  }
  const { schema, host, options, think, tools, context, ...rest } = validated(config);
  const resolved: ModelConfig<T> = { ...rest };
  if (schema !== undefined) resolved.schema = schema as ZodType<T>;
  if (host !== undefined) resolved.host = host;
  if (options !== undefined) resolved.options = options;
  if (think !== undefined) resolved.think = think;
  if (tools !== undefined) resolved.tools = tools;
  if (context !== undefined) {
    const { ladder, ...fields } = context;
    resolved.context = { ...fields, ...(ladder !== undefined ? { ladder: [...ladder].sort((a, b) => a - b) } : {}) };
  }
  return resolved;
}

const jsonSchemas = new WeakMap<ZodType, Record<string, unknown>>();

/**
 * The JSON Schema passed as Ollama's `format`. It describes the schema's INPUT side (what the model must
 * write, before transforms); parts JSON Schema cannot express become `{}` and are still checked by zod.
 */
export function formatSchema(schema: ZodType): Record<string, unknown> {
  let json = jsonSchemas.get(schema);
  if (json === undefined) {
    try {
      json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`invalid model config: schema cannot be turned into JSON Schema: ${(err as Error).message}`);
    }
    jsonSchemas.set(schema, json);
  }
  return json;
}
