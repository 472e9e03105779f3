// Public exports for users' own workflow tests: the Ollama simulator and its types.
export { startSimulator } from './simulator/server.ts';
export { parseCassette, readCassette, startRecorder } from './cassette/index.ts';
export type {
  CassetteEntry,
  CassetteHandle,
  CassetteMiss,
  CassetteOptions,
  CassetteSource,
  CassetteStats,
  Recorder,
  RecorderOptions,
} from './cassette/index.ts';
export { FAULT_KINDS } from './simulator/faults.ts';
export { DEFAULT_MODELS, libraryModels } from './simulator/models.ts';
export { synthesize } from './simulator/schema.ts';
export type {
  Capability,
  CompletedRequest,
  FaultKind,
  FaultSpec,
  ModelStats,
  ScriptedReply,
  SimMessage,
  SimModel,
  SimReply,
  SimRequest,
  SimTool,
  SimToolCall,
  Simulator,
  SimulatorOptions,
  SimulatorStats,
} from './simulator/types.ts';
