// What counts as a plain JSON-style object where a person's value must be one (an event's fields, a context patch).

/** True for `{…}` made by JSON or an object literal: not an array, null, a class instance or a Map. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
