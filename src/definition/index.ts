// A machine's definition as plain JSON: written with every run (and hashed to guard resume), read by whoever draws or queries it.
export { machineDefinition, guardLabel, type JsonValue } from './write.ts';
export {
  parseDefinition,
  allStates,
  eventLabel,
  invokeSources,
  acceptedEvents,
  activeSet,
  subAgentDefinition,
  DefinitionError,
  type StateDef,
  type StateType,
  type TransitionDef,
} from './read.ts';
