// checkMachine: runs every registered rule over a machine definition, without starting it.
import type { AnyStateMachine } from 'xstate';
import { rules } from './registry.ts';
import type { CheckOptions, Finding } from './types.ts';

export function checkMachine(machine: AnyStateMachine, options: CheckOptions = {}): Finding[] {
  return rules.flatMap((rule) => rule.check(machine, options));
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
