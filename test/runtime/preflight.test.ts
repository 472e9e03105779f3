// Preflight: every model a workflow can call (nested machines, judges), checked against the hosts before a run.
import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { hostsFromEnv, modelsOf, preflight } from '../../src/runtime/preflight.ts';
import { judgeScorer } from '../../src/score/judge.ts';
import { fanOut, modelStep } from '../../src/steps/index.ts';
import { askAgent, askStep, large, oneStepWorkflow, small } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();

/** A parent that registers a sub-agent (one ask step) and a fan-out of another one, plus its own judged step. */
function nestedMachine() {
  const judged = modelStep({
    id: 'review',
    prompt: () => [{ role: 'user', content: 'review' }],
    ladder: ['Llama3.2:3b', 'qwen3'],
    scorer: judgeScorer({ model: 'qwen3:latest', rubric: 'be right' }),
  });
  const agent = askAgent({ ladder: [small, 'qwen3:8b'] });
  return setup({ actors: { review: judged, agent, work: fanOut({ id: 'work', worker: askAgent({ ladder: ['gemma3:4b'] }), concurrency: 2 }) } })
    .createMachine({ id: 'nested', initial: 'idle', states: { idle: {} } });
}

describe('modelsOf', () => {
  it("lists each model step's ladder from its machine's meta", () => {
    expect(modelsOf(oneStepWorkflow().machine)).toEqual([small, large]);
    expect(askStep({ ladder: ['a:1b'] }).root.meta).toMatchObject({ harness: 'model-step', models: ['a:1b'] });
  });

  it('walks every machine registered by name, recursively, with judges; names compared as Ollama does', () => {
    // qwen3 and qwen3:latest are one model; Llama3.2:3b and llama3.2:3b too. The first spelling met is kept.
    expect(modelsOf(nestedMachine())).toEqual(['Llama3.2:3b', 'qwen3', small, 'qwen3:8b', 'gemma3:4b']);
  });

  it('is empty for a machine that calls no model', () => {
    expect(modelsOf(setup({}).createMachine({ id: 'plain' }))).toEqual([]);
  });
});

describe('preflight', () => {
  it('finds nothing missing when the host has every model (x means x:latest), with one /api/tags request', async () => {
    const sim = await simulator({ models: [small, large, 'qwen3:latest', 'llama3.2:3b', 'qwen3:8b', 'gemma3:4b'] });
    const report = await preflight({ workflow: { machine: nestedMachine() }, hosts: [sim.url] });
    expect(report.missing).toEqual([]);
    expect(report.hosts).toEqual([{ host: sim.url, reachable: true, error: null, missing: [] }]);
    expect(sim.stats().requests).toBe(1);
  });

  it('reports models no host has, and per host what it lacks; a model on some host is available', async () => {
    const a = await simulator({ models: [small] });
    const b = await simulator({ models: ['llama3.2:3b', 'qwen3'] });
    const report = await preflight({ workflow: { machine: nestedMachine() }, hosts: [a.url, b.url] });
    expect(report.missing).toEqual(['qwen3:8b', 'gemma3:4b']);
    expect(report.unconfirmed).toEqual([]);
    expect(report.hosts[0]?.missing).toEqual(['Llama3.2:3b', 'qwen3', 'qwen3:8b', 'gemma3:4b']);
    expect(report.hosts[1]?.missing).toEqual([small, 'qwen3:8b', 'gemma3:4b']);
  });

  it('an unreachable host is not a missing model: its models are unknown, what the others lack is unconfirmed', async () => {
    const up = await simulator({ models: [small] });
    const down = await simulator();
    const downUrl = down.url;
    await down.close();
    const alone = await preflight({ workflow: oneStepWorkflow(), hosts: [downUrl], timeoutMs: 1000 });
    expect(alone.missing).toEqual([]);
    expect(alone.unconfirmed).toEqual([]);
    expect(alone.hosts[0]).toMatchObject({ host: downUrl, reachable: false, missing: [] });
    expect(alone.hosts[0]?.error).toMatch(/connection (refused|closed)/);

    const both = await preflight({ workflow: oneStepWorkflow(), hosts: [up.url, downUrl], timeoutMs: 1000 });
    expect(both.missing).toEqual([]);
    expect(both.unconfirmed).toEqual([large]);
  });

  it('reads OLLAMA_HOSTS, else OLLAMA_HOST, and never shows credentials', async () => {
    expect(hostsFromEnv({ OLLAMA_HOSTS: 'a:1*2, b', OLLAMA_HOST: 'c' })).toEqual(['http://a:1', 'http://b:11434']);
    expect(hostsFromEnv({ OLLAMA_HOST: 'c' })).toEqual(['http://c:11434']);
    expect(hostsFromEnv({})).toEqual(['http://127.0.0.1:11434']);
    const sim = await simulator({ models: [small, large] });
    const withUser = sim.url.replace('http://', 'http://u:secret@');
    const report = await preflight({ workflow: oneStepWorkflow(), hosts: [withUser] });
    expect(report.hosts[0]?.host).toBe(sim.url);
    expect(report.missing).toEqual([]);
  });
});
