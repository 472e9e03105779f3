// The definition of a machine as stored with its runs, and its fingerprint, checked before a snapshot is restored.
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';
import { machineDefinition } from '../definition/index.ts';

type StoredDefinition = ReturnType<typeof machineDefinition>;

interface Described {
  definition: StoredDefinition;
  hash: string;
}

const described = new WeakMap<AnyStateMachine, Described>();

function describe(machine: AnyStateMachine): Described {
  let known = described.get(machine);
  if (known === undefined) {
    const definition = machineDefinition(machine); // frozen and kept per machine already
    known = { definition, hash: createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 16) };
    described.set(machine, known);
  }
  return known;
}

/**
 * XState restores a snapshot whose states no longer exist as an errored actor (and, unobserved, crashes the process),
 * so a run records this hash and resume compares it first.
 */
export function definitionHash(machine: AnyStateMachine): string {
  return describe(machine).hash;
}

/**
 * The machine's definition as runs store it: built once per machine and shared (frozen) by every run of the process,
 * never rebuilt or copied by the runtime per run.
 */
export function storedDefinition(machine: AnyStateMachine): StoredDefinition {
  return describe(machine).definition;
}
