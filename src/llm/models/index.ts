// Model management on an Ollama host: what it has and holds, pulling a model, and the models a step declares.
export { hostModels, loadedModels, type HostModel, type LoadedModel } from './catalog.ts';
export { pullModel, type PullOptions, type PullOutcome, type PullProgress } from './pull.ts';
export { declaredModels } from './declared.ts';
export { reachFailure } from './http.ts';
