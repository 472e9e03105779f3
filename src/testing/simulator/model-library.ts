// The simulated registry.ollama.ai: Ollama's popular library models, their tags and what `ollama show` reports, as data.
import type { Capability } from './types.ts';

/** A library model as its default tag reports it; `tags` give each tag's parameter count (the first is `latest`). */
export interface LibraryModel {
  family: string;
  families?: string[];
  capabilities: readonly Capability[];
  contextLength: number;
  embeddingLength: number;
  quantization: string;
  /** Tags the library lists, the default (`latest`) first: parameters of each (`mini` 3.8e9, `8x7b` 46.7e9). */
  tags: Readonly<Record<string, number>>;
  /** Tags whose window differs from the model's (gemma3's small sizes: 32768). */
  contextByTag?: Readonly<Record<string, number>>;
}

const chat: Capability[] = ['completion'];
const tools: Capability[] = ['completion', 'tools'];
const thinking: Capability[] = ['completion', 'tools', 'thinking'];
const vision: Capability[] = ['completion', 'vision'];
const embedding: Capability[] = ['embedding'];
const code: Capability[] = ['completion', 'insert'];

/**
 * Names the simulator knows and /api/pull can fetch, most specific first (a prefix match picks the family of a name
 * outside the table, e.g. `llama3.2-vision` before `llama3.2`). Values are those of the models' default tags in
 * Ollama's library, rounded; windows are the models' own (`<family>.context_length`), not the server's num_ctx.
 */
export const LIBRARY: readonly [string, LibraryModel][] = [
  ['qwen2.5-coder', { family: 'qwen2', capabilities: [...tools, 'insert'], contextLength: 32768, embeddingLength: 3584, quantization: 'Q4_K_M', tags: { '7b': 7.6e9, '0.5b': 0.5e9, '1.5b': 1.5e9, '3b': 3.1e9, '14b': 14.8e9, '32b': 32.8e9 } }],
  ['qwen2.5vl', { family: 'qwen25vl', capabilities: vision, contextLength: 128000, embeddingLength: 3584, quantization: 'Q4_K_M', tags: { '7b': 8.3e9, '3b': 3.8e9, '32b': 33.5e9, '72b': 73.4e9 } }],
  ['qwen2.5', { family: 'qwen2', capabilities: tools, contextLength: 32768, embeddingLength: 3584, quantization: 'Q4_K_M', tags: { '7b': 7.6e9, '0.5b': 0.5e9, '1.5b': 1.5e9, '3b': 3.1e9, '14b': 14.8e9, '32b': 32.8e9, '72b': 72.7e9 } }],
  ['qwen3-coder', { family: 'qwen3moe', capabilities: tools, contextLength: 262144, embeddingLength: 2048, quantization: 'Q4_K_M', tags: { '30b': 30.5e9, '480b': 480e9 } }],
  ['qwen3-embedding', { family: 'qwen3', capabilities: embedding, contextLength: 40960, embeddingLength: 4096, quantization: 'Q4_K_M', tags: { '8b': 7.6e9, '0.6b': 0.6e9, '4b': 4e9 } }],
  ['qwen3', { family: 'qwen3', capabilities: thinking, contextLength: 40960, embeddingLength: 4096, quantization: 'Q4_K_M', tags: { '8b': 8.2e9, '0.6b': 0.6e9, '1.7b': 2e9, '4b': 4e9, '14b': 14.8e9, '30b': 30.5e9, '32b': 32.8e9, '235b': 235e9 } }],
  ['deepseek-r1', { family: 'qwen3', capabilities: thinking, contextLength: 131072, embeddingLength: 4096, quantization: 'Q4_K_M', tags: { '8b': 8.2e9, '1.5b': 1.8e9, '7b': 7.6e9, '14b': 14.8e9, '32b': 32.8e9, '70b': 70.6e9, '671b': 671e9 } }],
  ['deepseek-coder-v2', { family: 'deepseek2', capabilities: code, contextLength: 163840, embeddingLength: 2048, quantization: 'Q4_0', tags: { '16b': 15.7e9, '236b': 236e9 } }],
  ['deepseek-v3', { family: 'deepseek2', capabilities: chat, contextLength: 163840, embeddingLength: 7168, quantization: 'Q4_K_M', tags: { '671b': 671e9 } }],
  ['gpt-oss', { family: 'gptoss', capabilities: thinking, contextLength: 131072, embeddingLength: 2880, quantization: 'MXFP4', tags: { '20b': 20.9e9, '120b': 116.8e9 } }],
  ['llava', { family: 'llama', families: ['llama', 'clip'], capabilities: vision, contextLength: 32768, embeddingLength: 4096, quantization: 'Q4_0', tags: { '7b': 7e9, '13b': 13e9, '34b': 34e9 } }],
  ['llama3.2-vision', { family: 'mllama', capabilities: vision, contextLength: 131072, embeddingLength: 4096, quantization: 'Q4_K_M', tags: { '11b': 10.7e9, '90b': 87.7e9 } }],
  ['llama3.3', { family: 'llama', capabilities: tools, contextLength: 131072, embeddingLength: 8192, quantization: 'Q4_K_M', tags: { '70b': 70.6e9 } }],
  ['llama3.2', { family: 'llama', capabilities: tools, contextLength: 131072, embeddingLength: 3072, quantization: 'Q4_K_M', tags: { '3b': 3.2e9, '1b': 1.2e9 } }],
  ['llama3.1', { family: 'llama', capabilities: tools, contextLength: 131072, embeddingLength: 4096, quantization: 'Q4_K_M', tags: { '8b': 8e9, '70b': 70.6e9, '405b': 405.9e9 } }],
  ['llama3', { family: 'llama', capabilities: chat, contextLength: 8192, embeddingLength: 4096, quantization: 'Q4_0', tags: { '8b': 8e9, '70b': 70.6e9 } }],
  ['llama2', { family: 'llama', capabilities: chat, contextLength: 4096, embeddingLength: 4096, quantization: 'Q4_0', tags: { '7b': 6.7e9, '13b': 13e9, '70b': 69e9 } }],
  ['codellama', { family: 'llama', capabilities: code, contextLength: 16384, embeddingLength: 4096, quantization: 'Q4_0', tags: { '7b': 6.7e9, '13b': 13e9, '34b': 34e9, '70b': 69e9 } }],
  ['tinyllama', { family: 'llama', capabilities: chat, contextLength: 2048, embeddingLength: 2048, quantization: 'Q4_0', tags: { '1.1b': 1.1e9 } }],
  ['smollm2', { family: 'llama', capabilities: tools, contextLength: 8192, embeddingLength: 2048, quantization: 'F16', tags: { '1.7b': 1.7e9, '135m': 135e6, '360m': 362e6 } }],
  ['mistral-nemo', { family: 'llama', capabilities: tools, contextLength: 1024000, embeddingLength: 5120, quantization: 'Q4_0', tags: { '12b': 12.2e9 } }],
  ['mistral-small', { family: 'llama', capabilities: tools, contextLength: 32768, embeddingLength: 6144, quantization: 'Q4_K_M', tags: { '24b': 23.6e9, '22b': 22.2e9 } }],
  ['mistral', { family: 'llama', capabilities: tools, contextLength: 32768, embeddingLength: 4096, quantization: 'Q4_K_M', tags: { '7b': 7.2e9 } }],
  ['mixtral', { family: 'llama', capabilities: tools, contextLength: 32768, embeddingLength: 4096, quantization: 'Q4_0', tags: { '8x7b': 46.7e9, '8x22b': 140.6e9 } }],
  ['devstral', { family: 'llama', capabilities: tools, contextLength: 131072, embeddingLength: 5120, quantization: 'Q4_K_M', tags: { '24b': 23.6e9 } }],
  ['codestral', { family: 'llama', capabilities: code, contextLength: 32768, embeddingLength: 6144, quantization: 'Q4_0', tags: { '22b': 22.2e9 } }],
  ['gemma3n', { family: 'gemma3n', capabilities: chat, contextLength: 32768, embeddingLength: 2048, quantization: 'Q4_K_M', tags: { e4b: 6.9e9, e2b: 4.5e9 } }],
  ['gemma3', { family: 'gemma3', capabilities: vision, contextLength: 131072, embeddingLength: 2560, quantization: 'Q4_K_M', tags: { '4b': 4.3e9, '270m': 268e6, '1b': 1e9, '12b': 12.2e9, '27b': 27.4e9 }, contextByTag: { '270m': 32768, '1b': 32768 } }],
  ['gemma2', { family: 'gemma2', capabilities: chat, contextLength: 8192, embeddingLength: 3584, quantization: 'Q4_0', tags: { '9b': 9.2e9, '2b': 2.6e9, '27b': 27.2e9 } }],
  ['gemma', { family: 'gemma', capabilities: chat, contextLength: 8192, embeddingLength: 3072, quantization: 'Q4_0', tags: { '7b': 8.5e9, '2b': 2.5e9 } }],
  ['phi4-mini', { family: 'phi3', capabilities: tools, contextLength: 131072, embeddingLength: 3072, quantization: 'Q4_K_M', tags: { '3.8b': 3.8e9 } }],
  ['phi4-reasoning', { family: 'phi3', capabilities: ['completion', 'thinking'], contextLength: 32768, embeddingLength: 5120, quantization: 'Q4_K_M', tags: { '14b': 14.7e9 } }],
  ['phi4', { family: 'phi3', capabilities: chat, contextLength: 16384, embeddingLength: 5120, quantization: 'Q4_K_M', tags: { '14b': 14.7e9 } }],
  ['phi3.5', { family: 'phi3', capabilities: chat, contextLength: 131072, embeddingLength: 3072, quantization: 'Q4_0', tags: { '3.8b': 3.8e9 } }],
  ['phi3', { family: 'phi3', capabilities: chat, contextLength: 131072, embeddingLength: 3072, quantization: 'Q4_0', tags: { mini: 3.8e9, '3.8b': 3.8e9, medium: 14e9, '14b': 14e9 } }],
  ['granite3.3', { family: 'granite', capabilities: tools, contextLength: 131072, embeddingLength: 4096, quantization: 'Q4_K_M', tags: { '8b': 8.2e9, '2b': 2.5e9 } }],
  ['starcoder2', { family: 'starcoder2', capabilities: code, contextLength: 16384, embeddingLength: 3072, quantization: 'Q4_0', tags: { '3b': 3e9, '7b': 7.2e9, '15b': 16e9 } }],
  ['command-r', { family: 'command-r', capabilities: tools, contextLength: 131072, embeddingLength: 8192, quantization: 'Q4_K_M', tags: { '35b': 32.3e9 } }],
  ['nomic-embed-text', { family: 'nomic-bert', capabilities: embedding, contextLength: 2048, embeddingLength: 768, quantization: 'F16', tags: { v1: 137e6, 'v1.5': 137e6 } }],
  ['mxbai-embed-large', { family: 'bert', capabilities: embedding, contextLength: 512, embeddingLength: 1024, quantization: 'F16', tags: { '335m': 334e6 } }],
  ['snowflake-arctic-embed', { family: 'bert', capabilities: embedding, contextLength: 512, embeddingLength: 1024, quantization: 'F16', tags: { '335m': 334e6, '22m': 22e6, '33m': 33e6, '110m': 110e6, '137m': 137e6 } }],
  ['all-minilm', { family: 'bert', capabilities: embedding, contextLength: 512, embeddingLength: 384, quantization: 'F16', tags: { '22m': 23e6, '33m': 33e6, 'l6-v2': 23e6, 'l12-v2': 33e6 } }],
  ['bge-m3', { family: 'bert', capabilities: embedding, contextLength: 8192, embeddingLength: 1024, quantization: 'F16', tags: { '567m': 566.7e6 } }],
  ['embeddinggemma', { family: 'gemma3', capabilities: embedding, contextLength: 2048, embeddingLength: 768, quantization: 'BF16', tags: { '300m': 307.6e6 } }],
];

/** The library's entry for a model name (`phi3`, `library/phi3`); undefined outside the table. */
export function libraryModel(base: string): LibraryModel | undefined {
  return LIBRARY.find(([name]) => name === base)?.[1];
}

/** Every library model under every tag it lists, `latest` included: what `harness simulate` serves by default. */
export function libraryTags(): string[] {
  return LIBRARY.flatMap(([name, model]) => [`${name}:latest`, ...Object.keys(model.tags).map((tag) => `${name}:${tag}`)]);
}
