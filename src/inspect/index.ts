// Public API of the local inspector: the server, and the pieces it draws a run from (diagram layout, call table).
export { startInspector, type Inspector, type InspectorOptions } from './server.ts';
export { runView, type RunView, type ChildView, type AgentView } from './view.ts';
export { layoutDiagram, type Diagram, type DiagramBox, type DiagramEdge, type DiagramLine, type TransitionRow } from './layout.ts';
export { parseDefinition, subAgentDefinition, acceptedEvents, activeSet, eventLabel, DefinitionError, type StateDef, type TransitionDef, type StateType } from '../definition/index.ts';
export { callRows, callPlace, type CallRow, type CallPlace } from './calls.ts';
export { watchRuns, type RunWatcher, type WatchOptions } from './watch.ts';
export { tokenHeader } from './security.ts';
