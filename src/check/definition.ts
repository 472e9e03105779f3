// The machine definition as plain JSON (for `harness diagram --format json`): the same one runs store and hash.
export { machineDefinition as toDefinitionJson, type JsonValue } from '../definition/index.ts';
