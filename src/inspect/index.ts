// Public API of the local inspector: the server, and the pieces it draws a run from (diagram layout, call table).
export { startInspector, type Inspector, type InspectorOptions } from './server.ts';
export { runView, type RunView, type ChildView, type AgentView } from './view.ts';
export { layoutDiagram, type Diagram, type DiagramBox, type DiagramEdge, type DiagramLine, type TransitionRow } from './layout.ts';
export { parseDefinition, subAgentDefinition, acceptedEvents, activeSet, eventLabel, DefinitionError, type StateDef, type TransitionDef, type StateType } from '../definition/index.ts';
export { callRows, callPlace, type CallRow, type CallPlace } from './calls.ts';
export { watchRuns, type RunWatcher, type WatchOptions } from './watch.ts';
export { followRuns, pollRuns, type RunFollower, type FollowOptions } from './follow.ts';
export { historyView, forkRequestOf, type HistoryView, type HistoryRow, type ForkRequest } from './fork.ts';
export { tokenHeader } from './security.ts';
export { callDetail, type CallDetail, type SentMessage, type CallTimings } from './call-detail.ts';
export { describeTimeline, actorLabel, type TimelineRow } from './timeline.ts';
export { inFlightCalls, type InFlightCall } from './inflight.ts';
export { runUsage, usageReport, type RunUsage, type UsageReport, type UsageRow } from './usage.ts';
export { filterRuns, runFilterOf, type RunFilter, type FilteredRuns } from './run-filter.ts';
export type { CallNews } from './call-relay.ts';
