// Cassettes: record real Ollama exchanges once (startRecorder), replay them in tests (startSimulator({ cassette })).
export { startRecorder, type Recorder, type RecorderOptions } from './recorder.ts';
export { parseCassette, readCassette } from './file.ts';
export { identityOf, matchKey, normaliseBody } from './match-key.ts';
export type { CassetteSource } from './open.ts';
export type {
  CassetteEntry,
  CassetteHandle,
  CassetteLine,
  CassetteMiss,
  CassetteOptions,
  CassetteReply,
  CassetteRequest,
  CassetteStats,
} from './types.ts';
