// `harness models`, `harness pull`, and `harness run` refusing a workflow whose models a host lacks (or pulling them).
import { existsSync, readdirSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PullProgressView, humanBytes } from '../../src/cli/progress.ts';
import { fixture, harness, inProcess, readRun, tempDir, type Env } from './harness.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const quick = fixture('quick.workflow.ts'); // ladder qwen2.5-coder:7b → qwen2.5-coder:32b
const small = 'qwen2.5-coder:7b';
const large = 'qwen2.5-coder:32b';

/** A host whose port nothing listens on any more. */
async function downHost(): Promise<string> {
  const sim = await simulator();
  await sim.close();
  return sim.url;
}

describe('harness models', () => {
  it('shows each host healthy with its models (size, family, params, quantization) and which are loaded', async () => {
    const sim = await simulator({ models: [small, 'qwen3:8b'] });
    await fetch(`${sim.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'qwen3:8b', messages: [{ role: 'user', content: 'hi' }], stream: false }) });
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const text = await inProcess(['models'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${sim.url}  ok  2 models, 1 loaded`);
    expect(text.stdout).toMatch(/NAME +SIZE +FAMILY +PARAMS +QUANT +LOADED +TRAINED +NUM_CTX/);
    expect(text.stdout).toMatch(/qwen3:8b +\d+(\.\d)? GB +qwen3 +8B +Q4_K_M +yes +40960 +4096 \(loaded\)/);
    expect(text.stdout).toMatch(/qwen2\.5-coder:7b +\d+(\.\d)? GB +qwen2 +7B +Q4_K_M +- +32768 +server default/);

    const json = await inProcess(['models', '--json'], env);
    const parsed = JSON.parse(json.stdout) as { hosts: { host: string; ok: boolean; models: { name: string; family: string }[]; loaded: { name: string }[] }[] };
    expect(parsed.hosts).toHaveLength(1);
    expect(parsed.hosts[0]).toMatchObject({ host: sim.url, ok: true, loaded: [{ name: 'qwen3:8b' }] });
    expect(parsed.hosts[0]?.models.map((m) => m.name)).toEqual([small, 'qwen3:8b']);
    expect(parsed.hosts[0]?.models[0]).toMatchObject({ contextLength: 32768, numCtx: null });
    expect(parsed.hosts[0]?.loaded[0]).toMatchObject({ contextLength: 4096 });
  });

  it('lists every host of OLLAMA_HOSTS; one that does not answer is reported (exit 1)', async () => {
    const sim = await simulator({ models: [small] });
    const down = await downHost();
    const result = await inProcess(['models'], { ollamaHost: sim.url, snapshots: tempDir() }, { OLLAMA_HOSTS: `${sim.url},${down}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${sim.url}  ok  1 model, 0 loaded`);
    expect(result.stdout).toMatch(new RegExp(`${down.replace(/[.]/g, '\\.')}  unreachable  cannot reach .*: connection (refused|closed)`));
  });
});

describe('harness pull', () => {
  it('pulls with plain progress lines when not a terminal (exit 0); the model is then listed', async () => {
    const sim = await simulator({ models: [small] });
    const env: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() };
    const result = await inProcess(['pull', 'qwen3:8b', '--host', sim.url], env);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('pulling manifest');
    expect(lines).toContain('verifying sha256 digest');
    expect(lines.at(-1)).toBe('success');
    expect(lines.filter((line) => /^pulling [0-9a-f]{12} {2}\d+(\.\d)? [KMG]?B$/.test(line))).toHaveLength(4);
    expect(result.stdout).not.toContain('\r');
    const listed = await inProcess(['models', '--json'], { ollamaHost: sim.url, snapshots: env.snapshots });
    expect(listed.stdout).toContain('"name": "qwen3:8b"');
  });

  it("fails with Ollama's error for an unknown name (exit 1), and needs exactly one model (exit 2)", async () => {
    const sim = await simulator({ models: [small] });
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const unknown = await inProcess(['pull', 'no-such-model:7b'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`harness: pull no-such-model:7b on ${sim.url} failed: pull model manifest: file does not exist\n`);
    expect((await inProcess(['pull'], env)).code).toBe(2);
  });

  it('draws a bar per layer on a terminal: percent, bytes and digest, redrawn in place', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const view = new PullProgressView(stream, true);
    const digest = `sha256:${'ab'.repeat(32)}`;
    view.update({ status: 'pulling manifest' });
    for (const completed of [0, 2_500_000_000, 5_000_000_000]) view.update({ status: 'pulling abababababab', digest, total: 5_000_000_000, completed });
    view.update({ status: 'success' });
    view.close();
    expect(out).toContain('\r\x1b[Kpulling abababababab   50% ▕████████████            ▏ 2.5 GB/5 GB');
    expect(out).toContain('100% ▕████████████████████████▏ 5 GB/5 GB\n');
    expect(out.endsWith('success\n')).toBe(true);
    expect(humanBytes(11_300)).toBe('11 KB');
    expect(humanBytes(96)).toBe('96 B');
  });
});

describe('harness run checks the models first', { timeout: 60_000 }, () => {
  it('refuses a ladder model the host lacks before any call: exit 2, one message, no run file', async () => {
    const sim = await simulator({ models: [small] });
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const result = await inProcess(['run', quick, '--input', '{"question":"q"}', '--run-id', 'm1'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `harness: model not found on the host: ${large} (asked ${sim.url}); pull with 'harness pull <model>' or run with --pull (or --skip-model-check)\n`,
    );
    expect(sim.stats()).toMatchObject({ requests: 1, completed: 0, byModel: {} }); // the /api/tags probe only
    expect(existsSync(env.snapshots) ? readdirSync(env.snapshots) : []).toEqual([]);
  });

  it('--pull pulls the missing model, then runs; --skip-model-check starts without asking', async () => {
    const sim = await simulator({ models: [small] });
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const [pulled, skipped] = await Promise.all([
      harness(['run', quick, '--input', '{"question":"q"}', '--run-id', 'p1', '--pull'], env),
      harness(['run', quick, '--input', '{"question":"q"}', '--run-id', 's1', '--skip-model-check'], { ...env, snapshots: tempDir() }),
    ]);
    expect(pulled.code).toBe(0);
    expect(pulled.stderr).toContain(`pulling ${large} onto ${sim.url}\npulling manifest\n`);
    expect(pulled.stderr).toContain('success\n');
    expect((await readRun(env, 'p1')).status).toBe('done');
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).not.toContain('pulling');
  });

  it('an unreachable host is not a missing model: a warning, and the run starts (and parks)', async () => {
    const env: Env = { ollamaHost: await downHost(), snapshots: tempDir() };
    const result = await harness(['run', quick, '--input', '{"question":"q"}', '--run-id', 'd1', '--park-after', '0'], env);
    expect(result.stderr).toMatch(/^harness: warning: cannot check models on http:\/\/127\.0\.0\.1:\d+ \(connection (refused|closed)\); starting anyway$/m);
    expect(result.code).toBe(75);
    expect((await readRun(env, 'd1')).status).toBe('parked');
  });
});
