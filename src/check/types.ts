// The vocabulary of static checks: findings, rule names, options and the shape of a rule.
import type { AnyStateMachine } from 'xstate';

export type Severity = 'error' | 'warning';

export type RuleName =
  | 'unreachable-state'
  | 'no-path-to-final'
  | 'no-final-state'
  | 'invoke-without-onerror'
  | 'unnamed-invoke'
  | 'unbounded-loop'
  | 'after-not-resume-safe'
  | 'unknown-actor-src'
  | 'inline-actor'
  | 'unknown-guard'
  | 'context-not-json'
  | 'context-unchecked';

export interface Finding {
  rule: RuleName;
  severity: Severity;
  /** State path like 'review.security.attempting'; '(machine)' for the root. */
  path: string;
  message: string;
}

export interface CheckOptions {
  /**
   * Input given to a context factory `({ input }) => ...`. Without it the factory gets `{}`, and `undefined`
   * values in the result are not reported (they usually stand for input fields the sample lacks).
   */
  sampleInput?: unknown;
}

/** A rule reads the machine definition only; it never starts an actor. */
export type Rule = (machine: AnyStateMachine, options: CheckOptions) => Finding[];

export interface RuleDefinition {
  name: string;
  /** The finding names this rule can emit. */
  emits: readonly RuleName[];
  description: string;
  check: Rule;
}
