// What changed between two JSON values, small and replayed exactly (key order included): a history line's payload.

/**
 * A change, as a tagged array so that it can never be mistaken for a value:
 * - `[0, value]`: replaced whole;
 * - `[1, changes by key, removed keys?, key order?]`: an object with some keys changed, added or removed; the order is
 *   given only when kept keys followed by added ones would not give the new value's order;
 * - `[2, length, changes by index]`: an array cut or extended to `length`, some items changed.
 */
type Delta = [0, unknown] | [1, Record<string, Delta>, string[]?, string[]?] | [2, number, Record<string, Delta>];

/** A value as JSON.stringify writes it (toJSON applied, non-finite numbers as null); undefined where it leaves it out. */
function asWritten(value: unknown, key: string): unknown {
  let seen = value;
  if (typeof seen === 'object' && seen !== null && 'toJSON' in seen && typeof seen.toJSON === 'function') seen = seen.toJSON(key);
  if (seen instanceof Number || seen instanceof String || seen instanceof Boolean) seen = seen.valueOf();
  if (seen === undefined || typeof seen === 'function' || typeof seen === 'symbol') return undefined;
  if (typeof seen === 'number' && !Number.isFinite(seen)) return null;
  return seen;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The change that turns `before` (JSON as read back) into `after` (any value JSON.stringify accepts), or null when
 * `after` would be written exactly as `before`. Replacement values are `after`'s own objects: serialise the delta
 * before anything can change them. Cost: a walk of `after`; size: what changed.
 */
export function diff(before: unknown, after: unknown): Delta | null {
  if (typeof after !== 'object' || after === null) return before === after ? null : [0, after];
  if (Array.isArray(after)) {
    if (!Array.isArray(before)) return [0, after];
    const changes: Record<string, Delta> = {};
    let changed = before.length !== after.length;
    for (let i = 0; i < after.length; i++) {
      const item = asWritten(after[i], String(i)) ?? null;
      const change: Delta | null = i < before.length ? diff(before[i], item) : [0, item];
      if (change) {
        changes[i] = change;
        changed = true;
      }
    }
    return changed ? [2, after.length, changes] : null;
  }
  if (!isObject(before)) return [0, after];
  const changes: Record<string, Delta> = {};
  const keys: string[] = [];
  let changed = false;
  for (const [key, raw] of Object.entries(after)) {
    const item: unknown = asWritten(raw, key);
    if (item === undefined) continue;
    keys.push(key);
    const change: Delta | null = Object.hasOwn(before, key) ? diff(before[key], item) : [0, item];
    if (change) {
      put(changes, key, change);
      changed = true;
    }
  }
  const kept = new Set(keys);
  const removed = Object.keys(before).filter((key) => !kept.has(key));
  const expected = [...Object.keys(before).filter((key) => kept.has(key)), ...keys.filter((key) => !Object.hasOwn(before, key))];
  const reordered = expected.some((key, i) => keys[i] !== key);
  if (!changed && removed.length === 0 && !reordered) return null;
  if (reordered) return [1, changes, removed, keys];
  return removed.length > 0 ? [1, changes, removed] : [1, changes];
}

/** Sets a key even where it is `__proto__`, which an assignment would take as the object's prototype. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * `before` with `delta` (as parsed from JSON) applied; `before` is left as it was and shares what did not change.
 * Throws on anything that is not a delta `diff` could have made.
 */
export function applyDelta(before: unknown, delta: unknown): unknown {
  if (!Array.isArray(delta)) throw new Error('a change is not an array');
  const tag: unknown = delta[0];
  if (tag === 0 && delta.length === 2) {
    const value: unknown = delta[1];
    return value;
  }
  if (tag === 1) {
    const changes: unknown = delta[1];
    const removed: unknown = delta[2] ?? [];
    const order: unknown = delta[3];
    if (!isObject(before) || !isObject(changes) || !isStringArray(removed) || (order !== undefined && !isStringArray(order))) {
      throw new Error('an object change that does not fit the value before it');
    }
    const gone = new Set(removed);
    const keys = order ?? [...Object.keys(before).filter((key) => !gone.has(key)), ...Object.keys(changes).filter((key) => !Object.hasOwn(before, key))];
    const after: Record<string, unknown> = {};
    for (const key of keys) {
      const had = Object.hasOwn(before, key) ? before[key] : undefined;
      const value = Object.hasOwn(changes, key) ? applyDelta(had, changes[key]) : had;
      if (value === undefined) throw new Error(`key ${JSON.stringify(key)} has no value`);
      put(after, key, value);
    }
    return after;
  }
  if (tag === 2) {
    const length: unknown = delta[1];
    const changes: unknown = delta[2];
    if (!Array.isArray(before) || typeof length !== 'number' || !Number.isInteger(length) || length < 0 || !isObject(changes)) {
      throw new Error('an array change that does not fit the value before it');
    }
    const after: unknown[] = before.slice(0, length);
    for (const [index, change] of Object.entries(changes)) {
      const i = Number(index);
      if (!Number.isInteger(i) || i < 0 || i >= length) throw new Error(`an array change at ${index}, past its length ${length}`);
      after[i] = applyDelta(before[i], change);
    }
    for (let i = 0; i < length; i++) if (!(i in after)) throw new Error(`an array change leaves item ${i} empty`);
    return after;
  }
  throw new Error('a change of an unknown kind');
}
