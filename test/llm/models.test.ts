// Model management against the simulator: listings with details, pulling (progress, success, Ollama's errors).
import { describe, expect, it } from 'vitest';
import { declaredModels, hostModels, loadedModels, pullModel, type PullProgress } from '../../src/llm/models/index.ts';
import { callModel } from '../../src/llm/index.ts';
import { judgeScorer } from '../../src/score/judge.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();

describe('hostModels and loadedModels', () => {
  it('lists each model with size, family, parameter size and quantization; /api/ps the loaded ones', async () => {
    const sim = await simulator({ models: ['qwen3:8b', 'nomic-embed-text'] });
    const models = await hostModels(sim.url);
    expect(models.map((m) => m.name)).toEqual(['qwen3:8b', 'nomic-embed-text:latest']);
    expect(models[0]).toMatchObject({ family: 'qwen3', parameterSize: '8B', quantization: 'Q4_K_M' });
    expect(models[0]?.size).toBeGreaterThan(1e9);
    expect(await loadedModels(sim.url)).toEqual([]);
    await callModel([{ role: 'user', content: 'hi' }], { host: sim.url, model: 'qwen3:8b' });
    const loaded = await loadedModels(sim.url);
    expect(loaded.map((m) => m.name)).toEqual(['qwen3:8b']);
    expect(loaded[0]?.expiresAt).toMatch(/^\d{4}-/);
  });

  it('names the host and the cause when it cannot be reached', async () => {
    const sim = await simulator();
    const url = sim.url;
    await sim.close();
    await expect(hostModels(url, { timeoutMs: 1000 })).rejects.toThrow(`cannot reach ${url}: connection refused`);
  });
});

describe('pullModel', () => {
  it('streams progress (layers with digest, total, completed) and ends on success; the model is then listed', async () => {
    const sim = await simulator({ models: ['llama3.2:3b'] });
    const seen: PullProgress[] = [];
    const outcome = await pullModel('qwen3:8b', { host: sim.url, onProgress: (p) => seen.push(p) });
    expect(outcome).toEqual({ ok: true });
    expect(seen[0]?.status).toBe('pulling manifest');
    expect(seen.at(-1)?.status).toBe('success');
    const layer = seen.find((p) => p.digest !== undefined && p.completed === p.total);
    expect(layer?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(layer?.status).toBe(`pulling ${layer?.digest?.slice(7, 19)}`);
    expect((await hostModels(sim.url)).map((m) => m.name)).toContain('qwen3:8b');
  });

  it("fails with Ollama's own error for a name the registry does not have, and for an unreachable host", async () => {
    const sim = await simulator({ models: ['llama3.2:3b'] });
    expect(await pullModel('no-such-model:1b', { host: sim.url })).toEqual({ ok: false, error: 'pull model manifest: file does not exist' });
    expect(await pullModel('', { host: sim.url })).toEqual({ ok: false, error: 'invalid model name' });
    await sim.close();
    const down = await pullModel('qwen3:8b', { host: sim.url });
    expect(down.ok).toBe(false);
    expect(down.ok ? '' : down.error).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+: connection (refused|closed)$/);
  });
});

describe('declaredModels', () => {
  it("reads a `models` list from an object or a function (a judge scorer declares its model)", () => {
    expect(declaredModels({ models: ['a', 'b:1b', 3, ''] })).toEqual(['a', 'b:1b']);
    expect(declaredModels(judgeScorer({ model: 'llama3.2:3b', rubric: 'be right' }))).toEqual(['llama3.2:3b']);
    expect(declaredModels(() => 1)).toEqual([]);
    expect(declaredModels(undefined)).toEqual([]);
    expect(declaredModels({ models: 'x' })).toEqual([]);
  });
});
