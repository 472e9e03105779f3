// `harness hosts` (each host's slots, models, loaded, health), and `harness run` routing among the hosts of OLLAMA_HOSTS.
import { describe, expect, it } from 'vitest';
import type { HostStatus } from '../../src/llm/hosts.ts';
import type { RunRecord } from '../../src/store/index.ts';
import { fixture, harness, inProcess, readRun, tempDir, type Env } from './harness.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const small = 'qwen2.5-coder:7b';
const large = 'qwen2.5-coder:32b';
const reply = JSON.stringify({ answer: 'blue', confidence: 0.9 });
const withPassword = (port: number, slots = '') => `http://ann:s3cret@127.0.0.1:${port}${slots}`;

/** A host whose port nothing listens on any more. */
async function downHost(): Promise<string> {
  const sim = await simulator();
  await sim.close();
  return sim.url;
}

describe('harness hosts', () => {
  it('shows each host of OLLAMA_HOSTS with its slots, models and loaded models; never its password', async () => {
    const a = await simulator({ models: [small, 'qwen3:8b'] });
    const b = await simulator({ models: [large] });
    await fetch(`${a.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'qwen3:8b', messages: [{ role: 'user', content: 'hi' }], stream: false }) });
    const env: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() };
    const extra = { OLLAMA_HOSTS: `${withPassword(a.port, '*2')}, ${b.url}` };

    const text = await inProcess(['hosts'], env, extra);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        `${a.url}  ok  2 slots, 0 in flight, 2 models, 1 loaded`,
        `  models  ${small}, qwen3:8b`,
        '  loaded  qwen3:8b',
        '  breaker closed, no recent calls',
        '',
        `${b.url}  ok  1 slot, 0 in flight, 1 model, 0 loaded`,
        `  models  ${large}`,
        '  loaded  -',
        '  breaker closed, no recent calls',
        '',
      ].join('\n'),
    );

    const json = await inProcess(['hosts', '--json'], env, extra);
    expect(json.code).toBe(0);
    const { hosts } = JSON.parse(json.stdout) as { hosts: HostStatus[] };
    const closed = { state: 'closed', openUntil: null, trial: false, calls: 0, failures: 0, failureRate: null, openedBecause: null };
    expect(hosts).toEqual([
      { host: a.url, slots: 2, models: [small, 'qwen3:8b'], loaded: ['qwen3:8b'], inFlight: 0, calls: 0, healthy: true, breaker: closed, lastError: null, checkedAt: expect.any(Number) },
      { host: b.url, slots: 1, models: [large], loaded: [], inFlight: 0, calls: 0, healthy: true, breaker: closed, lastError: null, checkedAt: expect.any(Number) },
    ]);
    for (const out of [text, json]) expect(out.stdout + out.stderr).not.toMatch(/s3cret|ann:/);
  });

  it('exits 1 when a host is down, saying why and how long its breaker stays open', async () => {
    const sim = await simulator({ models: [small] });
    const down = await downHost();
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const result = await inProcess(['hosts'], env, { OLLAMA_HOSTS: `${sim.url},${withPassword(Number(new URL(down).port))}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${sim.url}  ok  1 slot, 0 in flight, 1 model, 0 loaded`);
    expect(result.stdout).toMatch(new RegExp(`^${down.replace(/[.]/g, '\\.')}  down  1 slot, 0 in flight\n  breaker open for \\d+(\\.\\d+)?s more, then a trial call$`, 'm'));
    expect(result.stdout).toContain(`  error   cannot list models on ${down}: connection refused`);
    expect(result.stdout).not.toMatch(/s3cret|ann:/);

    const json = await inProcess(['hosts', '--json'], env, { OLLAMA_HOSTS: `${sim.url},${down}` });
    expect(json.code).toBe(1);
    const { hosts } = JSON.parse(json.stdout) as { hosts: HostStatus[] };
    expect(hosts[1]).toMatchObject({ host: down, healthy: false, models: null, breaker: { state: 'open', openUntil: expect.any(Number) } });
  });

  it('falls back to OLLAMA_HOST; refuses arguments and a malformed list (exit 2, password masked)', async () => {
    const sim = await simulator({ models: [small] });
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const one = await inProcess(['hosts'], env);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^${sim.url.replace(/[.]/g, '\\.')}  ok  1 slot`));
    expect((await inProcess(['hosts', 'extra'], env)).code).toBe(2);
    const bad = await inProcess(['hosts'], env, { OLLAMA_HOSTS: 'http://ann:s3cret@a:1*0' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('OLLAMA_HOSTS');
    expect(bad.stderr).not.toContain('s3cret');
  });
});

describe('harness run with OLLAMA_HOSTS', { timeout: 90_000 }, () => {
  it('routes each call to a host that has its model, and records the host in the journal', async () => {
    // The first rung (small) is only on `a`, whose replies fail the schema; the step escalates to large, only on `b`.
    const a = await simulator({ models: [small], script: { '*': () => JSON.stringify({ answer: '', confidence: 0.5 }) } });
    const b = await simulator({ models: [large], script: { '*': () => reply } });
    // OLLAMA_HOST names a host that is down: with OLLAMA_HOSTS set, it is not used.
    const env: Env = { ollamaHost: await downHost(), snapshots: tempDir() };
    const run = await harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"sky?"}', '--run-id', 'h1', '--json'], env, {
      OLLAMA_HOSTS: `${withPassword(a.port)},${b.url}`,
    });
    expect(run.code).toBe(0);
    const record = JSON.parse(run.stdout) as RunRecord;
    expect(record.status).toBe('done');
    expect(record.journal.map((e) => [e.result.model, e.result.metadata.host])).toEqual([
      [small, a.url],
      [small, a.url],
      [large, b.url],
    ]);
    expect(a.stats().byModel[small]?.completed).toBe(2);
    expect(b.stats().byModel[large]?.completed).toBe(1);
    expect(a.stats().byModel[large]).toBeUndefined();
    expect(run.stdout + run.stderr).not.toMatch(/s3cret|ann:/);
    expect(JSON.stringify(await readRun(env, 'h1'))).not.toMatch(/s3cret|ann:/);
  });
});
