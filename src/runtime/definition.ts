// The fingerprint of a machine definition, stored with each run and checked before a snapshot is restored.
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';

/**
 * XState restores a snapshot whose states no longer exist as an errored actor (and, unobserved, crashes the process),
 * so a run records this hash and resume compares it first. `toJSON()` is the structure: states, transitions, guard and
 * actor names. Code inside prompts or actions is not part of it.
 */
export function definitionHash(machine: AnyStateMachine): string {
  return createHash('sha256').update(JSON.stringify(machine.toJSON())).digest('hex').slice(0, 16);
}
