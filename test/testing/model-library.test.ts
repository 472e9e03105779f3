// The simulator's library of Ollama's popular models: every one pullable under every tag, with the family, size and
// window `ollama show` reports, and `harness simulate` serving them all by default.
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorOptions } from '../../src/cli/commands/simulate.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { LIBRARY } from '../../src/testing/simulator/model-library.ts';

let sim: Simulator;
let ollama: Ollama;
beforeAll(async () => {
  sim = await startSimulator({ seed: 2 });
  ollama = new Ollama({ host: sim.url });
});
afterAll(async () => {
  await sim.close();
});

interface Show {
  details: { family: string; parameter_size: string };
  model_info: Record<string, unknown>;
  capabilities: string[];
}

/** What `ollama show` says of a model (read as JSON: the client types model_info as a Map): family, size, window. */
async function shown(model: string) {
  const response = await fetch(`${sim.url}/api/show`, { method: 'POST', body: JSON.stringify({ model }) });
  const show = (await response.json()) as Show;
  const family = show.details.family;
  return { family, size: show.details.parameter_size, context: show.model_info[`${family}.context_length`], capabilities: show.capabilities };
}

describe('the simulated model library', () => {
  it('pulls phi3:mini, which the simulator refused before, and shows it as Ollama does', async () => {
    expect(await ollama.pull({ model: 'phi3:mini' })).toEqual({ status: 'success' });
    expect(await shown('phi3:mini')).toEqual({ family: 'phi3', size: '3.8B', context: 131072, capabilities: ['completion'] });
    const reply = await ollama.chat({ model: 'phi3:mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.message.content.length).toBeGreaterThan(0);
  });

  it('takes sizes from named tags and windows that differ by tag', async () => {
    for (const model of ['mixtral:8x7b', 'gemma3:1b', 'gemma3', 'gemma3n:e2b', 'all-minilm:l6-v2', 'llama3.1:8b-instruct-q8_0']) await ollama.pull({ model });
    expect((await shown('mixtral:8x7b')).size).toBe('46.7B');
    expect((await shown('gemma3:1b')).context).toBe(32768);
    expect(await shown('gemma3')).toMatchObject({ family: 'gemma3', size: '4.3B', context: 131072, capabilities: ['completion', 'vision'] });
    expect((await shown('gemma3n:e2b')).size).toBe('4.5B');
    expect(await shown('all-minilm:l6-v2')).toMatchObject({ family: 'bert', capabilities: ['embedding'] });
    expect(await shown('llama3.1:8b-instruct-q8_0')).toMatchObject({ family: 'llama', size: '8B', context: 131072 });
  });

  it('pulls every library model under every tag it lists, and still refuses a name the library lacks', async () => {
    const names = LIBRARY.flatMap(([name, model]) => [name, ...Object.keys(model.tags).map((tag) => `${name}:${tag}`)]);
    expect(names.length).toBeGreaterThan(100);
    for (const model of names) expect(await ollama.pull({ model }), model).toEqual({ status: 'success' });
    const listed = new Set((await ollama.list()).models.map((m) => m.name));
    for (const model of ['phi4:14b', 'deepseek-r1:latest', 'qwen3:0.6b', 'mistral:7b', 'gemma2:27b', 'llama3.2:1b']) expect(listed.has(model), model).toBe(true);
    await expect(ollama.pull({ model: 'no-such-model:7b' })).rejects.toThrow('pull model manifest: file does not exist');
  });

  it('is what `harness simulate` serves by default: the popular models ready to run, the old five first', () => {
    const served = simulatorOptions([]).models ?? [];
    expect(served.slice(0, 5)).toEqual(['qwen2.5-coder:7b', 'qwen2.5-coder:14b', 'qwen2.5-coder:32b', 'llama3.2:3b', 'nomic-embed-text']);
    for (const model of ['phi3:mini', 'llama3.1:8b', 'llama3.3:latest', 'qwen2.5:7b', 'qwen3:8b', 'mistral:latest', 'gemma2:9b', 'gemma3:4b', 'phi4:latest', 'deepseek-r1:8b']) {
      expect(served, model).toContain(model);
    }
    expect(new Set(served).size).toBe(served.length);
    expect(simulatorOptions(['--models', 'tiny:1b']).models).toEqual(['tiny:1b']);
  });
});
