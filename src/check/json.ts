// Where a value stops being plain JSON, and what a JSON round trip would turn it into.
const maxProblems = 20;

export interface JsonProblem {
  /** 'context.startedAt', 'context.items[2]'. */
  where: string;
  what: string;
}

/** Every place in `value` that would not survive JSON.stringify → JSON.parse unchanged (at most 20). */
export function jsonProblems(value: unknown, where: string, options: { skipUndefined?: boolean } = {}): JsonProblem[] {
  const problems: JsonProblem[] = [];
  const ancestors = new Set<object>();
  const walk = (v: unknown, at: string, inArray: boolean): void => {
    if (problems.length >= maxProblems) return;
    const report = (what: string) => problems.push({ where: at, what });
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) report(`is ${v} (JSON writes null)`);
        return;
      case 'bigint':
        return void report('is a bigint (JSON.stringify throws)');
      case 'undefined':
        if (!options.skipUndefined) report(`is undefined (JSON ${inArray ? 'writes null' : 'drops the key'})`);
        return;
      case 'function':
        return void report('is a function (JSON drops it)');
      case 'symbol':
        return void report('is a symbol (JSON drops it)');
      case 'object':
        break;
    }
    if (v === null) return;
    const obj = v as object;
    if (ancestors.has(obj)) return void report('is a circular reference (JSON.stringify throws)');
    if (Array.isArray(obj)) {
      ancestors.add(obj);
      obj.forEach((item, i) => walk(item, `${at}[${i}]`, true));
      ancestors.delete(obj);
      return;
    }
    const kind = nonPlainKind(obj);
    if (kind) return void report(kind);
    ancestors.add(obj);
    for (const [key, item] of Object.entries(obj)) walk(item, `${at}${keyPath(key)}`, false);
    ancestors.delete(obj);
  };
  walk(value, where, false);
  return problems;
}

function nonPlainKind(obj: object): string | undefined {
  if (obj instanceof Date) return 'is a Date (it comes back as a string)';
  if (obj instanceof Map) return 'is a Map (it comes back as {})';
  if (obj instanceof Set) return 'is a Set (it comes back as {})';
  if (obj instanceof RegExp) return 'is a RegExp (it comes back as {})';
  if (obj instanceof Error) return 'is an Error (it comes back as {})';
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) return undefined;
  const name = (obj.constructor as { name?: unknown } | undefined)?.name;
  return `is a ${typeof name === 'string' && name ? name : 'class'} instance (it comes back as a plain object without its methods)`;
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
