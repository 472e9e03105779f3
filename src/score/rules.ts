// Deterministic text rules: the fraction of rules a reply satisfies.
import type { Scorer } from './types.ts';
import { measureLength } from './length.ts';

export interface RulesSpec {
  /** Each string must appear (case-sensitive). */
  contains?: string[];
  /** Each string must not appear (case-sensitive). */
  notContains?: string[];
  /** Each pattern must match; strings are compiled with `new RegExp(s)`. */
  regex?: (RegExp | string)[];
  /** Minimum length in characters (code points). */
  minLength?: number;
  /** Maximum length in characters (code points). */
  maxLength?: number;
}

interface Rule {
  check: (content: string) => boolean;
  failure: (content: string) => string;
}

/** A fresh, non-global copy: a shared `g`/`y` RegExp would carry `lastIndex` from one call into the next. */
function toPattern(pattern: RegExp | string): RegExp {
  return typeof pattern === 'string' ? new RegExp(pattern) : new RegExp(pattern.source, pattern.flags.replace('g', ''));
}

function assertLength(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new RangeError(`rulesScorer: ${name} must be a non-negative integer, got ${String(value)}`);
  }
}

function compileRules(spec: RulesSpec): Rule[] {
  assertLength('minLength', spec.minLength);
  assertLength('maxLength', spec.maxLength);
  const rules: Rule[] = [];
  for (const text of spec.contains ?? []) {
    rules.push({ check: (c) => c.includes(text), failure: () => `missing "${text}"` });
  }
  for (const text of spec.notContains ?? []) {
    rules.push({ check: (c) => !c.includes(text), failure: () => `contains forbidden "${text}"` });
  }
  for (const source of spec.regex ?? []) {
    const pattern = toPattern(source);
    rules.push({
      check: (c) => {
        pattern.lastIndex = 0;
        return pattern.test(c);
      },
      failure: () => `does not match ${String(pattern)}`,
    });
  }
  const { minLength, maxLength } = spec;
  if (minLength !== undefined) {
    rules.push({
      check: (c) => measureLength(c, 'chars') >= minLength,
      failure: (c) => `length ${measureLength(c, 'chars')} is below minLength ${minLength}`,
    });
  }
  if (maxLength !== undefined) {
    rules.push({
      check: (c) => measureLength(c, 'chars') <= maxLength,
      failure: (c) => `length ${measureLength(c, 'chars')} is above maxLength ${maxLength}`,
    });
  }
  return rules;
}

/** Scores the fraction of rules passed; with no rules every reply scores 1. Reasons list each failed rule. */
export function rulesScorer(spec: RulesSpec): Scorer {
  const rules = compileRules(spec);
  return ({ content }) => {
    if (rules.length === 0) return { value: 1, reasons: [] };
    const reasons: string[] = [];
    for (const rule of rules) {
      if (!rule.check(content)) reasons.push(rule.failure(content));
    }
    return { value: (rules.length - reasons.length) / rules.length, reasons };
  };
}
