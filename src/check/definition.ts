// toDefinitionJson: the machine definition as plain JSON (for `harness diagram --format json` and hashing).
import type { AnyStateMachine } from 'xstate';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** machine.toJSON() after a JSON round trip, so functions are gone and nested toJSON() methods have run. */
export function toDefinitionJson(machine: AnyStateMachine): { [key: string]: JsonValue } {
  return JSON.parse(JSON.stringify(machine.toJSON())) as { [key: string]: JsonValue };
}
