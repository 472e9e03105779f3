// JSON paths of assertions: `invoice.total`, `$.lineItems[0].amount`, `items["a b"]`, `lineItems.length`.
import { EvalInputError } from './errors.ts';

export type PathSegment = string | number;

export interface JsonPath {
  /** As written, for reports. */
  readonly text: string;
  readonly segments: readonly PathSegment[];
}

const name = /^[A-Za-z_$][\w$-]*/;

/** Parses a path; an empty path (or `$`) is the whole value. EvalInputError for a malformed one. */
export function parsePath(text: string): JsonPath {
  const segments: PathSegment[] = [];
  let rest = text.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  const bad = (why: string): never => {
    throw new EvalInputError(`JSON path ${JSON.stringify(text)}: ${why}`);
  };
  let first = true;
  while (rest.length > 0) {
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close < 0) bad('a [ is never closed');
      const inside = rest.slice(1, close).trim();
      if (/^\d+$/.test(inside)) segments.push(Number(inside));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inside)) segments.push(JSON.parse(inside) as string);
      else bad(`[${inside}] is neither an index nor a "quoted key"`);
      rest = rest.slice(close + 1);
    } else {
      if (rest.startsWith('.')) rest = rest.slice(1);
      else if (!first) bad(`expected . or [ before ${JSON.stringify(rest)}`);
      const index = /^\d+/.exec(rest);
      const key = index ?? name.exec(rest);
      if (!key) bad(`expected a key at ${JSON.stringify(rest)}`);
      const word = key?.[0] ?? '';
      segments.push(index ? Number(word) : word);
      rest = rest.slice(word.length);
    }
    first = false;
  }
  return { text: text.trim() === '' ? '$' : text.trim(), segments };
}

export type PathValue = { found: true; value: unknown } | { found: false };

/** The value at `path`: own properties of objects, indexes (and `length`) of arrays and strings; nothing else. */
export function readPath(value: unknown, path: JsonPath): PathValue {
  let current: unknown = value;
  for (const segment of path.segments) {
    if (Array.isArray(current) || typeof current === 'string') {
      if (segment === 'length') current = current.length;
      else if (typeof segment === 'number' && segment < current.length) current = current[segment];
      else return { found: false };
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      // The property's own value: a getter is never called, nothing is looked up on the prototype.
      current = Object.getOwnPropertyDescriptor(current, segment)?.value;
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}
