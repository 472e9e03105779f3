// JSON Schema → a valid instance (what a grammar-constrained model would emit), and a near miss that violates it.
import { pick, synthesizeString, words } from './strings.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

/** Past this depth optional properties are left out and arrays keep their minimum, so recursion ends. */
const SHALLOW_DEPTH = 4;
/** Past this depth nullable/alternative branches prefer a leaf. */
const HARD_DEPTH = 12;
const MAX_DEPTH = 48;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

class Resolver {
  constructor(private readonly root: unknown) {}

  /** Follows `$ref` (JSON pointers into the root: '#', '#/$defs/X', '#/definitions/X') and merges `allOf`. */
  resolve(schema: unknown, seen = 0): unknown {
    if (!isSchema(schema) || seen > 32) return schema;
    if (typeof schema.$ref === 'string') {
      const { $ref, ...rest } = schema;
      const target = this.#pointer($ref);
      const resolved = this.resolve(target, seen + 1);
      return isSchema(resolved) ? { ...resolved, ...stripMeta(rest) } : resolved;
    }
    if (Array.isArray(schema.allOf)) {
      const { allOf, ...rest } = schema;
      return (allOf as unknown[]).reduce<Schema>(
        (merged, part) => mergeSchemas(merged, this.resolve(part, seen + 1)),
        rest,
      );
    }
    return schema;
  }

  #pointer(ref: string): unknown {
    if (!ref.startsWith('#')) return {};
    const path = ref.slice(1).split('/').filter(Boolean);
    let node: unknown = this.root;
    for (const raw of path) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isSchema(node) ? node[key] : undefined;
    }
    return node ?? {};
  }
}

function omit(schema: Schema, keys: readonly string[]): Schema {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !keys.includes(key)));
}

function stripMeta(schema: Schema): Schema {
  return omit(schema, ['description', 'title', '$schema', '$id', 'examples']);
}

function mergeSchemas(a: Schema, b: unknown): Schema {
  if (!isSchema(b)) return a;
  const properties = { ...(isSchema(a.properties) ? a.properties : {}), ...(isSchema(b.properties) ? b.properties : {}) };
  const required = [
    ...new Set([...(Array.isArray(a.required) ? a.required : []), ...(Array.isArray(b.required) ? b.required : [])]),
  ];
  const merged: Schema = { ...a, ...b };
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.length > 0) merged.required = required;
  return merged;
}

const TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'] as const;
type TypeName = (typeof TYPES)[number];

function typesOf(schema: Schema): TypeName[] | undefined {
  const type = schema.type;
  if (typeof type === 'string') return [type as TypeName];
  if (Array.isArray(type)) return type.filter((t): t is TypeName => TYPES.includes(t as TypeName));
  return undefined;
}

function inferType(schema: Schema): TypeName | undefined {
  if ('properties' in schema || 'additionalProperties' in schema || 'required' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema) return 'array';
  if ('minLength' in schema || 'maxLength' in schema || 'pattern' in schema || 'format' in schema) return 'string';
  if ('minimum' in schema || 'maximum' in schema || 'exclusiveMinimum' in schema || 'exclusiveMaximum' in schema) {
    return 'number';
  }
  return undefined;
}

/** Chooses among alternatives: null rarely, and leaves once deep in a recursive schema. */
function choose<T>(options: T[], isNull: (option: T) => boolean, depth: number, random: () => number): T {
  const nonNull = options.filter((o) => !isNull(o));
  const nulls = options.filter(isNull);
  if (nulls.length > 0 && (nonNull.length === 0 || depth >= HARD_DEPTH || random() < 0.2)) return nulls[0] as T;
  return pick(nonNull.length > 0 ? nonNull : options, random);
}

export class Synthesizer {
  readonly #resolver: Resolver;

  constructor(
    private readonly root: unknown,
    private readonly random: () => number,
  ) {
    this.#resolver = new Resolver(root);
  }

  instance(): Json {
    return this.value(this.root, 0);
  }

  value(input: unknown, depth: number): Json {
    // Only a schema with no finite instance (a required self-reference) gets this deep.
    if (depth > MAX_DEPTH) return null;
    const schema = this.#resolver.resolve(input);
    if (schema === false) return null;
    if (!isSchema(schema)) return words(2, this.random).join(' ');
    if ('const' in schema) return schema.const as Json;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return pick(schema.enum as Json[], this.random);
    const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
    if (alternatives && alternatives.length > 0) {
      const base = omit(schema, ['anyOf', 'oneOf']);
      const branch = choose(
        alternatives as unknown[],
        (b) => {
          const resolved = this.#resolver.resolve(b);
          return isSchema(resolved) && resolved.type === 'null';
        },
        depth,
        this.random,
      );
      return this.value(mergeSchemas(base, this.#resolver.resolve(branch)), depth);
    }
    const types = typesOf(schema);
    const type = types
      ? choose(types, (t) => t === 'null', depth, this.random)
      : (inferType(schema) ?? 'string');
    switch (type) {
      case 'object':
        return this.#object(schema, depth);
      case 'array':
        return this.#array(schema, depth);
      case 'string':
        return synthesizeString(schema, this.random);
      case 'integer':
        return this.#number(schema, true);
      case 'number':
        return this.#number(schema, false);
      case 'boolean':
        return this.random() < 0.5;
      case 'null':
        return null;
    }
  }

  #object(schema: Schema, depth: number): Json {
    const out: Record<string, Json> = {};
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const extra = schema.additionalProperties;
    for (const [key, child] of Object.entries(properties)) {
      if (required.has(key) || (depth < SHALLOW_DEPTH && this.random() < 0.6)) out[key] = this.value(child, depth + 1);
    }
    const names = this.#resolver.resolve(schema.propertyNames);
    const valueSchema = isSchema(extra) ? extra : {};
    // Keys required but not described (records with enum keys: zod wants them all).
    const enumKeys = isSchema(names) && Array.isArray(names.enum) ? (names.enum as string[]) : [];
    for (const key of [...required, ...enumKeys]) {
      if (!(key in out)) out[key] = this.value(valueSchema, depth + 1);
    }
    const isRecord = Object.keys(properties).length === 0 && isSchema(extra) && enumKeys.length === 0;
    const minProperties = num(schema.minProperties) ?? 0;
    const wanted = isRecord ? Math.max(minProperties, depth < SHALLOW_DEPTH ? 1 + Math.floor(this.random() * 2) : 0) : minProperties;
    for (let i = 0; Object.keys(out).length < wanted && i < wanted + 8; i++) {
      const key = isSchema(names) ? synthesizeString(names, this.random) : `${pick(['key', 'name', 'id'], this.random)}${i + 1}`;
      if (!(key in out)) out[key] = this.value(valueSchema, depth + 1);
    }
    return out;
  }

  #array(schema: Schema, depth: number): Json {
    const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as unknown[]) : [];
    const items = schema.items === false ? undefined : (schema.items ?? {});
    const min = Math.max(num(schema.minItems) ?? 0, items === undefined ? prefix.length : 0);
    const max = Math.max(min, num(schema.maxItems) ?? (items === undefined ? prefix.length : min + 3));
    const length = depth >= SHALLOW_DEPTH ? min : min + Math.floor(this.random() * (Math.min(max - min, 3) + 1));
    const out: Json[] = [];
    for (let i = 0; i < length; i++) {
      const child = i < prefix.length ? prefix[i] : items;
      let value = this.value(child, depth + 1);
      if (schema.uniqueItems === true) {
        for (let retry = 0; retry < 8 && out.some((v) => JSON.stringify(v) === JSON.stringify(value)); retry++) {
          value = this.value(child, depth + 1);
        }
      }
      out.push(value);
    }
    return out;
  }

  #number(schema: Schema, integer: boolean): number {
    let lo = num(schema.minimum) ?? -Infinity;
    let hi = num(schema.maximum) ?? Infinity;
    const exLo = num(schema.exclusiveMinimum);
    const exHi = num(schema.exclusiveMaximum);
    // Draft 4 spelled exclusivity as booleans next to minimum/maximum.
    const loOpen = exLo !== undefined ? exLo >= lo : schema.exclusiveMinimum === true;
    const hiOpen = exHi !== undefined ? exHi <= hi : schema.exclusiveMaximum === true;
    if (exLo !== undefined) lo = Math.max(lo, exLo);
    if (exHi !== undefined) hi = Math.min(hi, exHi);
    // A window of about 100 around 0 (or the nearest bound) reads like what a model says.
    let a = Number.isFinite(lo) ? lo : Number.isFinite(hi) ? Math.min(hi - 100, 0) : 0;
    let b = Number.isFinite(hi) ? hi : a + 100;
    if (b - a > 100) {
      if (a <= 0 && b >= 0) [a, b] = [Math.max(a, 0), Math.min(b, 100)];
      else if (a > 0) b = a + 100;
      else a = b - 100;
    }
    const step = num(schema.multipleOf);
    if (step !== undefined && step > 0) {
      let kLo = Math.ceil(a / step);
      let kHi = Math.floor(b / step);
      if (loOpen && kLo * step <= lo) kLo++;
      if (hiOpen && kHi * step >= hi) kHi--;
      if (integer && !Number.isInteger(step)) kHi = kLo; // rare: accept the first multiple
      const k = kLo > kHi ? kLo : kLo + Math.floor(this.random() * (kHi - kLo + 1));
      return Number((k * step).toPrecision(12));
    }
    if (integer) {
      let iLo = Math.ceil(a);
      let iHi = Math.floor(b);
      if (loOpen && iLo <= lo) iLo = Math.floor(lo) + 1;
      if (hiOpen && iHi >= hi) iHi = Math.ceil(hi) - 1;
      if (iLo > iHi) return iLo;
      return iLo + Math.floor(this.random() * (iHi - iLo + 1));
    }
    const value = Math.round((a + this.random() * (b - a)) * 100) / 100;
    const inside = (v: number) => (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
    if (inside(value)) return value;
    const middle = (a + b) / 2;
    return inside(middle) ? middle : a;
  }
}

/** A valid instance of `schema`, drawn with `random`. */
export function synthesize(schema: unknown, random: () => number): Json {
  return new Synthesizer(schema, random).instance();
}

/** A value of a JSON type outside `allowed`, or undefined when every type is allowed. */
function wrongType(allowed: readonly string[]): Json | undefined {
  const candidates: [Json, string[]][] = [
    [12345, ['number', 'integer']],
    ['not a number', ['string']],
    [{ unexpected: true }, ['object']],
    [['unexpected'], ['array']],
    [true, ['boolean']],
    [null, ['null']],
  ];
  const found = candidates.find(([, types]) => !types.some((t) => allowed.includes(t)));
  return found ? found[0] : undefined;
}

/**
 * Valid JSON that breaks `schema` the way models do: a required property missing, an extra property where
 * none is allowed, a property of the wrong type, or the wrong type altogether. Undefined when the schema
 * accepts anything.
 */
export function violate(schema: unknown, valid: Json): Json | undefined {
  const resolver = new Resolver(schema);
  const root = resolver.resolve(schema);
  if (!isSchema(root)) return undefined;
  const branches = Array.isArray(root.anyOf) ? root.anyOf : Array.isArray(root.oneOf) ? root.oneOf : undefined;
  if (branches) {
    const allowed = branches.map((b) => resolver.resolve(b)).map((b) => (isSchema(b) ? typesOf(b) ?? inferType(b) : undefined));
    if (allowed.some((t) => t === undefined)) return undefined;
    return wrongType(allowed.flat() as string[]);
  }
  const types = typesOf(root) ?? (inferType(root) ? [inferType(root) as string] : undefined);
  if (types?.includes('object') && isSchema(valid)) {
    const required = Array.isArray(root.required) ? (root.required as string[]) : [];
    const missing = required.find((key) => key in valid);
    if (missing !== undefined) {
      return Object.fromEntries(Object.entries(valid).filter(([key]) => key !== missing));
    }
    const properties = isSchema(root.properties) ? root.properties : {};
    if (root.additionalProperties === false) return { ...valid, unexpected_field: 'surprise' };
    for (const [key, child] of Object.entries(properties)) {
      const resolved = resolver.resolve(child);
      const childTypes = isSchema(resolved) ? typesOf(resolved) : undefined;
      const wrong = childTypes ? wrongType(childTypes) : undefined;
      if (wrong !== undefined) return { ...valid, [key]: wrong };
    }
  }
  return types ? wrongType(types) : undefined;
}
