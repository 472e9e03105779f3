// The harness's public API: define workflows from steps, run them with checkpoints, and make trustworthy model calls.
export * from './steps/index.ts';
export * from './runtime/index.ts';
export * from './store/index.ts';
export * from './llm/index.ts';
export { HostPool } from './llm/pool.ts';
export * from './score/index.ts';
