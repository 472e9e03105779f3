// Go's encoding/json decoding into typed structs (decode.go, Go 1.26, the version Ollama builds with): which JSON a
// field accepts, the first "cannot unmarshal" error with its struct and field path, base64 []byte, UnmarshalJSON.
import { plain, type GoNode } from './gojson.ts';

/** What an UnmarshalJSON method says: a value, an error returned as is, or an inner json.Unmarshal's type error. */
export type Unmarshaled = { value: unknown } | { error: string } | { typeError: UnmarshalTypeError };

/** A Go type as the decoder sees it; `name` is reflect.Type.String() where Go prints it. */
export type GoType =
  | { kind: 'string' | 'bool' | 'any' }
  | { kind: 'int' }
  | { kind: 'float'; name: 'float32' | 'float64' }
  /** A named []byte (api.ImageData): a base64 string. */
  | { kind: 'bytes'; name: string }
  /** `name` for a named slice type (api.Tools). */
  | { kind: 'slice'; elem: GoType; name?: string }
  | { kind: 'map'; elem: GoType }
  /** `name` is reflect.Type.Name() (no package; '' for an anonymous struct), `pkg` its package. */
  | { kind: 'struct'; name: string; pkg: string; fields: () => Record<string, GoType>; anonymous?: string }
  /** A type with UnmarshalJSON; `pointer` fields (*ThinkValue) take JSON null as "absent" without calling it. */
  | { kind: 'custom'; name: string; pointer: boolean; unmarshal: (node: GoNode) => Unmarshaled };

/** An UnmarshalTypeError: Value ("string", "number 1.5"), Type, and the context the decoder adds. */
export interface UnmarshalTypeError {
  value: string;
  type: string;
  struct?: string;
  field?: string;
}

export type DecodeError = { type: UnmarshalTypeError } | { text: string };

/** reflect.Type.String() */
export function typeName(t: GoType): string {
  switch (t.kind) {
    case 'any':
      return 'interface {}';
    case 'float':
    case 'bytes':
    case 'custom':
      return t.name;
    case 'slice':
      return t.name ?? `[]${typeName(t.elem)}`;
    case 'map':
      return `map[string]${typeName(t.elem)}`;
    case 'struct':
      return t.anonymous ?? `${t.pkg}.${t.name}`;
    default:
      return t.kind;
  }
}

/** UnmarshalTypeError.Error() */
export function errorText(error: DecodeError): string {
  if ('text' in error) return error.text;
  const e = error.type;
  if (e.struct !== undefined || e.field !== undefined) {
    return `json: cannot unmarshal ${e.value} into Go struct field ${e.struct ?? ''}.${e.field ?? ''} of type ${e.type}`;
  }
  return `json: cannot unmarshal ${e.value} into Go value of type ${e.type}`;
}

/** base64.CorruptInputError: the offset Go's StdEncoding.Decode stops at, or -1 for valid input. */
export function base64ErrorOffset(text: string): number {
  const src = Buffer.from(text, 'utf8');
  const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
  const newline = (c: number | undefined) => c === 10 || c === 13;
  let si = 0;
  // decodeQuantum, one 4-character quantum at a time; newlines are skipped anywhere.
  while (si < src.length) {
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return -1;
        return si - j; // StdEncoding is padded: a short final quantum is corrupt where it began
      }
      const c = src[si] as number;
      si++;
      if (isAlpha(c)) continue;
      if (newline(c)) {
        j--;
        continue;
      }
      if (c !== 61 || j < 2) return si - 1;
      if (j === 2) {
        while (newline(src[si])) si++;
        if (si === src.length) return src.length;
        if (src[si] !== 61) return si - 1;
        si++;
      }
      while (newline(src[si])) si++;
      return si < src.length ? si : -1;
    }
  }
  return -1;
}

/** The Value an UnmarshalTypeError names for a JSON value. */
function described(node: GoNode, numberText = false): string {
  if (node.t === 'number') return numberText ? `number ${node.raw}` : 'number';
  return node.t;
}

const INT = /^-?(0|[1-9]\d*)$/;

class Decoder {
  saved: DecodeError | undefined;
  stack: string[] = [];
  struct: string | undefined;

  /** saveError: the first type error wins and decoding goes on, with the context where it happened. */
  save(error: UnmarshalTypeError | { text: string }): void {
    if (this.saved) return;
    this.saved = 'text' in error ? error : { type: this.withContext(error) };
  }

  /** addErrorContext: the current struct, and the field path from the root (plus an inner Unmarshal's own path). */
  withContext(error: UnmarshalTypeError): UnmarshalTypeError {
    if (this.struct === undefined && this.stack.length === 0) return error;
    const path = error.field ? [...this.stack, error.field] : this.stack;
    return { ...error, struct: this.struct ?? '', field: path.join('.') };
  }

  value(node: GoNode, t: GoType): unknown {
    if (t.kind === 'custom') return this.custom(node, t);
    // null leaves any other Go value as it was: absent.
    if (node.t === 'null') return undefined;
    const mismatch = (numberText = false) => void this.save({ value: described(node, numberText), type: typeName(t) });
    switch (t.kind) {
      case 'any':
        return plain(node);
      case 'string':
        return node.t === 'string' ? node.value : mismatch();
      case 'bool':
        return node.t === 'bool' ? node.value : mismatch();
      case 'int':
        if (node.t !== 'number') return mismatch();
        return INT.test(node.raw) && Math.abs(Number(node.raw)) < 2 ** 63 ? Number(node.raw) : mismatch(true);
      case 'float': {
        if (node.t !== 'number') return mismatch();
        const n = Number(node.raw);
        const max = t.name === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE;
        return Math.abs(n) <= max ? n : mismatch(true);
      }
      case 'bytes': {
        if (node.t !== 'string') return mismatch();
        const at = base64ErrorOffset(node.value);
        if (at >= 0) return void this.save({ text: `illegal base64 data at input byte ${at}` });
        return node.value;
      }
      case 'slice':
        return node.t === 'array' ? node.items.map((item) => this.value(item, t.elem)) : mismatch();
      case 'map':
        if (node.t !== 'object') return mismatch();
        return Object.fromEntries(node.entries.map(([k, v]) => [k, this.value(v, t.elem)]));
      case 'struct':
        return node.t === 'object' ? this.object(node.entries, t) : mismatch();
    }
  }

  /** Fields match by their JSON name exactly, else case-insensitively; unknown keys are skipped. */
  object(entries: [string, GoNode][], t: Extract<GoType, { kind: 'struct' }>): Record<string, unknown> {
    const fields = t.fields();
    const names = Object.keys(fields);
    const out: Record<string, unknown> = {};
    for (const [key, node] of entries) {
      const name = key in fields ? key : names.find((n) => n.toLowerCase() === key.toLowerCase());
      if (name === undefined) continue;
      const [outerStruct, depth] = [this.struct, this.stack.length];
      this.struct = t.name;
      this.stack.push(name);
      const value = this.value(node, fields[name] as GoType);
      this.stack.length = depth;
      this.struct = outerStruct;
      if (value !== undefined) out[name] = value;
      else delete out[name];
    }
    return out;
  }

  /** An UnmarshalJSON error is not saved: it ends decoding at once (Go's d.value returns it). */
  custom(node: GoNode, t: Extract<GoType, { kind: 'custom' }>): unknown {
    if (node.t === 'null' && t.pointer) return undefined;
    const result = t.unmarshal(node);
    if ('value' in result) return result.value;
    throw new Abort('error' in result ? { text: result.error } : { type: this.withContext(result.typeError) });
  }
}

class Abort extends Error {
  constructor(readonly reason: DecodeError) {
    super('aborted');
  }
}

/** json.Unmarshal of `node` into `t`: the decoded value (JSON names as keys, unknown fields dropped) or Go's error. */
export function decode(node: GoNode, t: GoType): { ok: true; value: unknown } | { ok: false; error: DecodeError } {
  const decoder = new Decoder();
  try {
    const value = decoder.value(node, t);
    return decoder.saved ? { ok: false, error: decoder.saved } : { ok: true, value };
  } catch (error) {
    if (error instanceof Abort) return { ok: false, error: error.reason };
    throw error;
  }
}

/** An UnmarshalJSON that runs a fresh json.Unmarshal of the same bytes into `t` (Message's Alias, ToolProperty). */
export function unmarshalInto(node: GoNode, t: GoType): Unmarshaled {
  const result = decode(node, t);
  if (result.ok) return { value: result.value };
  return 'type' in result.error ? { typeError: result.error.type } : { error: result.error.text };
}
