// The fingerprint of a machine definition, stored with each run and checked before a snapshot is restored.
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';
import { machineDefinition } from '../definition/index.ts';

/**
 * XState restores a snapshot whose states no longer exist as an errored actor (and, unobserved, crashes the process),
 * so a run records this hash and resume compares it first.
 */
export function definitionHash(machine: AnyStateMachine): string {
  let hash = hashes.get(machine);
  if (hash === undefined) {
    hash = createHash('sha256').update(JSON.stringify(machineDefinition(machine))).digest('hex').slice(0, 16);
    hashes.set(machine, hash);
  }
  return hash;
}

const hashes = new WeakMap<AnyStateMachine, string>();
