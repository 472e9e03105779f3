// Assertions on a finished run: comparisons (equals, contains, matches, near, expected), scorers, custom functions.
import { normalizeScore } from '../score/normalize.ts';
import type { Scorer } from '../score/types.ts';
import { EvalInputError } from './errors.ts';
import { parsePath, readPath, type JsonPath } from './json-path.ts';
import { scoreAsAssertion } from './scorer-call.ts';
import type { Assertion, AssertionContext, AssertionSpec, Verdict } from './types.ts';

/** Deep equality of JSON values: key order does not matter, array order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && deepEqual(own(a, key), own(b, key)));
}

function own(value: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(value, key)?.value;
}

/** A value as a report line shows it: JSON, cut at 60 characters. */
export function shown(value: unknown): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

const passed: Verdict = { pass: true, score: 1 };
const failed = (reason: string): Verdict => ({ pass: false, score: 0, reason });
const skipped = (reason: string): Verdict => ({ pass: null, score: 0, reason });

/** The value under test: the output at `path`, or a failed verdict saying it is not there. */
function actualAt(path: JsonPath, context: AssertionContext): { value: unknown } | Verdict {
  const found = readPath(context.output, path);
  return found.found ? { value: found.value } : failed(`${path.text} is missing`);
}

/** The value to compare with: the assertion's own, else the case's expected at the same path (skipped when it has none). */
function wantedAt(path: JsonPath, own: { value?: unknown }, context: AssertionContext): { value: unknown } | Verdict {
  if ('value' in own && own.value !== undefined) return { value: own.value };
  const found = readPath(context.expected, path);
  return found.found ? { value: found.value } : skipped(`the case expects nothing at ${path.text}`);
}

const isVerdict = (x: { value: unknown } | Verdict): x is Verdict => 'pass' in x;

function comparison(name: string, spec: AssertionSpec, check: (context: AssertionContext) => Verdict): Assertion {
  return { name, fingerprint: JSON.stringify(spec), check };
}

function equals(path: JsonPath, spec: AssertionSpec & { type: 'equals' }): Assertion {
  return comparison(`equals ${path.text}`, spec, (context) => {
    const wanted = wantedAt(path, spec, context);
    if (isVerdict(wanted)) return wanted;
    const actual = actualAt(path, context);
    if (isVerdict(actual)) return actual;
    return deepEqual(actual.value, wanted.value) ? passed : failed(`${shown(actual.value)} ≠ ${shown(wanted.value)}`);
  });
}

function contains(path: JsonPath, spec: AssertionSpec & { type: 'contains' }): Assertion {
  return comparison(`contains ${path.text} ${shown(spec.value)}`, spec, (context) => {
    const actual = actualAt(path, context);
    if (isVerdict(actual)) return actual;
    const { value } = actual;
    if (typeof value === 'string' && typeof spec.value === 'string') {
      return value.includes(spec.value) ? passed : failed(`${shown(value)} does not contain it`);
    }
    if (Array.isArray(value)) return value.some((item) => deepEqual(item, spec.value)) ? passed : failed(`no such element in ${shown(value)}`);
    return failed(`${shown(value)} is neither a string nor an array`);
  });
}

function matches(path: JsonPath, spec: AssertionSpec & { type: 'matches' }): Assertion {
  let pattern: RegExp;
  try {
    pattern = new RegExp(spec.pattern, (spec.flags ?? '').replace('g', ''));
  } catch (error) {
    throw new EvalInputError(`matches ${path.text}: invalid pattern /${spec.pattern}/: ${error instanceof Error ? error.message : String(error)}`);
  }
  return comparison(`matches ${path.text} ${String(pattern)}`, spec, (context) => {
    const actual = actualAt(path, context);
    if (isVerdict(actual)) return actual;
    if (typeof actual.value !== 'string') return failed(`${shown(actual.value)} is not a string`);
    return pattern.test(actual.value) ? passed : failed(`${shown(actual.value)} does not match`);
  });
}

function near(path: JsonPath, spec: AssertionSpec & { type: 'near' }): Assertion {
  if (!(Number.isFinite(spec.tolerance) && spec.tolerance >= 0)) throw new EvalInputError(`near ${path.text}: tolerance must be a number ≥ 0, got ${shown(spec.tolerance)}`);
  return comparison(`near ${path.text} ±${spec.tolerance}`, spec, (context) => {
    const wanted = wantedAt(path, spec, context);
    if (isVerdict(wanted)) return wanted;
    const actual = actualAt(path, context);
    if (isVerdict(actual)) return actual;
    if (typeof wanted.value !== 'number') return failed(`the expected value ${shown(wanted.value)} is not a number`);
    if (typeof actual.value !== 'number') return failed(`${shown(actual.value)} is not a number`);
    const off = Math.abs(actual.value - wanted.value);
    return off <= spec.tolerance ? passed : failed(`${actual.value} is ${Number(off.toPrecision(6))} from ${wanted.value}`);
  });
}

/** Every leaf of `expected`, with its path: objects by key, arrays by index (with their length). */
function leaves(value: unknown, at: string): { path: string; value: unknown }[] {
  if (Array.isArray(value)) return [{ path: `${at}.length`, value: value.length }, ...value.flatMap((item, i) => leaves(item, `${at}[${i}]`))];
  if (typeof value === 'object' && value !== null) return Object.keys(value).flatMap((key) => leaves(own(value, key), at === '' ? key : `${at}.${key}`));
  return [{ path: at, value }];
}

function sameLeaf(actual: unknown, wanted: unknown, tolerance: number): boolean {
  if (typeof actual === 'number' && typeof wanted === 'number') return Math.abs(actual - wanted) <= tolerance;
  return deepEqual(actual, wanted);
}

/**
 * Builders of assertions for an eval file (a dataset declares the same comparisons as JSON, see `AssertionSpec`).
 * A comparison without a value of its own compares with the case's `expected` at the same path.
 *
 * @example
 * defineEval({ workflow, assert: [assert.equals('invoice.invoiceNumber'), assert.near('invoice.total', { tolerance: 0.01 })] })
 */
export const assert = {
  /** Deep equality of the output at `path` with `value` (default: the case's expected at `path`). */
  equals(path = '', value?: unknown): Assertion {
    return equals(parsePath(path), value === undefined ? { type: 'equals', path } : { type: 'equals', path, value });
  },
  /** The string at `path` includes `value`, or the array there has an element deeply equal to it. */
  contains(path: string, value: unknown): Assertion {
    return contains(parsePath(path), { type: 'contains', path, value });
  },
  /** The string at `path` matches `pattern`. */
  matches(path: string, pattern: RegExp | string): Assertion {
    const source = typeof pattern === 'string' ? pattern : pattern.source;
    return matches(parsePath(path), { type: 'matches', path, pattern: source, ...(typeof pattern === 'string' ? {} : { flags: pattern.flags }) });
  },
  /** The number at `path` is within `tolerance` of `value` (default: the expected number at `path`). */
  near(path: string, options: { value?: number; tolerance: number }): Assertion {
    return near(parsePath(path), { type: 'near', path, tolerance: options.tolerance, ...(options.value === undefined ? {} : { value: options.value }) });
  },
  /**
   * Every leaf of the case's `expected` equals the output's at the same path (numbers within `tolerance`); its score
   * is the share of leaves that do. Skipped for a case with no `expected`.
   */
  expected(options: { tolerance?: number } = {}): Assertion {
    const tolerance = options.tolerance ?? 0;
    return {
      name: tolerance > 0 ? `expected fields ±${tolerance}` : 'expected fields',
      fingerprint: JSON.stringify({ type: 'expected', tolerance }),
      check(context) {
        if (context.expected === undefined) return skipped('the case has no expected');
        const all = leaves(context.expected, '');
        const wrong = all.filter((leaf) => {
          const found = readPath(context.output, parsePath(leaf.path));
          return !found.found || !sameLeaf(found.value, leaf.value, tolerance);
        });
        if (wrong.length === 0) return passed;
        const first = wrong.slice(0, 3).map((leaf) => {
          const found = readPath(context.output, parsePath(leaf.path));
          return `${leaf.path}: ${found.found ? shown(found.value) : 'missing'} ≠ ${shown(leaf.value)}`;
        });
        return { pass: false, score: (all.length - wrong.length) / all.length, reason: `${first.join('; ')}${wrong.length > 3 ? ` (+${wrong.length - 3} more)` : ''}` };
      },
    };
  },
  /**
   * A harness scorer (schema, rules, judge, composite) on the output at `path` (its JSON text as `content`, the value as
   * `data`, the case's input as the task): passes at `min` (default: the scorer's own pass, else 0.5).
   */
  score(scorer: Scorer, options: { min?: number; path?: string; name?: string } = {}): Assertion {
    const path = parsePath(options.path ?? '');
    const { min } = options;
    if (min !== undefined && !(min >= 0 && min <= 1)) throw new EvalInputError(`score assertion: min must be within [0, 1], got ${shown(min)}`);
    const label = options.name ?? (scorer.name || 'scorer');
    return {
      name: `score ${label}${min === undefined ? '' : ` ≥ ${min}`}${path.segments.length > 0 ? ` at ${path.text}` : ''}`,
      fingerprint: JSON.stringify({ type: 'score', label, min, path: path.text, source: scorer.toString() }),
      async check(context) {
        const found = readPath(context.output, path);
        if (!found.found) return failed(`${path.text} is missing`);
        const content = typeof found.value === 'string' ? found.value : (JSON.stringify(found.value) ?? '');
        const task = [{ role: 'user' as const, content: JSON.stringify(context.input) }];
        const score = normalizeScore(await scoreAsAssertion(scorer, { content, data: found.value, messages: task }, context.signal, context.services));
        const pass = min !== undefined ? score.value >= min : (score.pass ?? score.value >= 0.5);
        return { pass, score: score.value, ...(pass || score.reasons.length === 0 ? {} : { reason: score.reasons.slice(0, 3).join('; ') }) };
      },
    };
  },
  /**
   * Your own check: return true/false, or `{ pass, reason?, score? }`; a throw fails the assertion with its message.
   *
   * @example
   * assert.custom('one line item at least', ({ output }) => Array.isArray(output?.invoice?.lineItems))
   */
  custom<O = unknown>(name: string, check: (context: AssertionContext & { output: O }) => boolean | { pass: boolean; reason?: string; score?: number } | Promise<boolean | { pass: boolean; reason?: string; score?: number }>): Assertion {
    if (!name.trim()) throw new EvalInputError('a custom assertion needs a name');
    return {
      name: `custom ${name}`,
      fingerprint: JSON.stringify({ type: 'custom', name, source: check.toString() }),
      async check(context) {
        // The output is whatever the workflow returned: typing it as O is the author's claim, as with any JSON read.
        const answer = await check({ ...context, output: context.output as O });
        if (typeof answer === 'boolean') return answer ? passed : failed('returned false');
        const score = answer.score ?? (answer.pass ? 1 : 0);
        return { pass: answer.pass, score, ...(answer.reason === undefined ? {} : { reason: answer.reason }) };
      },
    };
  },
};

const specTypes = ['equals', 'contains', 'matches', 'near'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An assertion declared as JSON (a dataset's `assert`, `--assert`); EvalInputError naming `where` when it is not one. */
export function assertionFromJson(json: unknown, where: string): Assertion {
  const bad = (why: string): never => {
    throw new EvalInputError(`${where}: ${why}`);
  };
  if (!isRecord(json)) return bad(`an assertion must be an object like {"type": "equals", "path": "total"}, got ${shown(json)}`);
  const { type, path = '' } = json;
  if (typeof path !== 'string') return bad(`assertion path must be a string, got ${shown(path)}`);
  const parsed = ((): JsonPath => {
    try {
      return parsePath(path);
    } catch (error) {
      return bad(error instanceof Error ? error.message : String(error));
    }
  })();
  try {
    switch (type) {
      case 'equals':
        return equals(parsed, 'value' in json ? { type, path, value: json.value } : { type, path });
      case 'contains':
        if (!('value' in json)) return bad('a contains assertion needs a "value"');
        return contains(parsed, { type, path, value: json.value });
      case 'matches':
        if (typeof json.pattern !== 'string') return bad('a matches assertion needs a "pattern" string');
        if (json.flags !== undefined && typeof json.flags !== 'string') return bad('"flags" must be a string such as "i"');
        return matches(parsed, { type, path, pattern: json.pattern, ...(typeof json.flags === 'string' ? { flags: json.flags } : {}) });
      case 'near':
        if (typeof json.tolerance !== 'number') return bad('a near assertion needs a numeric "tolerance"');
        if (json.value !== undefined && typeof json.value !== 'number') return bad('a near assertion\'s "value" must be a number');
        return near(parsed, { type, path, tolerance: json.tolerance, ...(typeof json.value === 'number' ? { value: json.value } : {}) });
      default:
        return bad(`unknown assertion type ${shown(type)} (one of: ${specTypes.join(', ')})`);
    }
  } catch (error) {
    if (error instanceof EvalInputError && !error.message.startsWith(where)) return bad(error.message);
    throw error;
  }
}

/** One assertion's outcome for one case, as results and reports keep it. */
export interface AssertionResult extends Verdict {
  name: string;
}

/** Checks every assertion; one that throws fails with its message (a broken check is no pass). */
export async function checkAll(assertions: readonly Assertion[], context: AssertionContext): Promise<AssertionResult[]> {
  const results: AssertionResult[] = [];
  for (const assertion of assertions) {
    try {
      results.push({ name: assertion.name, ...(await assertion.check(context)) });
    } catch (error) {
      results.push({ name: assertion.name, pass: false, score: 0, reason: `threw: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return results;
}
