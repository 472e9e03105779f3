// No password ever reaches a sink: CLI output, run files, spans, the inspector's API. Random passwords, seeded.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspector } from '../../src/inspect/index.ts';
import { HostSet } from '../../src/llm/hosts.ts';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { createRandom } from '../../src/util/random.ts';
import { fixture, inProcess, start, tempDir, until, type Env, type Result } from '../cli/harness.ts';
import { call } from '../inspect/http.ts';
import { modulePath, oneStepWorkflow } from '../steps/fixtures.ts';
import { useInMemorySpans } from '../telemetry/otel.ts';

const seed = Number(process.env.HARNESS_SECRETS_SEED ?? 20261207);
/** Each test draws from its own generator, so one test run alone (`-t`) meets the same passwords as in the whole file. */
const randomFor = (test: number) => createRandom(seed * 16 + test);

/**
 * Markers (letters no output of ours holds: not Z, which every ISO time ends with), the characters that break naive scrubbers, digits and non-ASCII. Not a
 * comma or white space (they separate OLLAMA_HOSTS entries) nor `&` (it separates query parameters): those must be
 * percent-encoded in any URL.
 */
const markers = ['Q', 'J', 'Ξ', 'Ж'];
const alphabet = [...markers, ...markers, '/', '#', '?', '@', ':', '%', '0', '7', 'é', 'ß', '密', '🔑'];

function password(random: () => number): string {
  const length = 8 + Math.floor(random() * 7);
  const rest = Array.from({ length: length - 1 }, () => alphabet[Math.floor(random() * alphabet.length)] ?? 'Q');
  return [markers[Math.floor(random() * markers.length)] ?? 'Q', ...rest].join('');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every form a password may take on its way out: as typed, decoded, percent-encoded, in a URL, as Basic auth. */
function forms(pw: string): string[] {
  const inUrl = (value: string) => {
    const url = new URL('http://h');
    url.password = value;
    return url.password;
  };
  const decoded = safeDecode(pw);
  return [pw, decoded, encodeURIComponent(pw), encodeURIComponent(decoded), inUrl(pw), inUrl(decoded)];
}

/**
 * The parts of `pw` found in `text`: every 3-character piece of any of its forms that holds a marker (no text of ours
 * holds one), and the Basic auth header whole. A password cut in two by a bad scrubber (`s3cr` as a port, `et@` left
 * behind) still leaves such a piece.
 */
function leaked(text: string, pw: string): string[] {
  const found = new Set<string>();
  for (const form of forms(pw)) {
    const chars = [...form];
    for (let i = 0; i + 3 <= chars.length; i++) {
      const piece = chars.slice(i, i + 3).join('');
      if (markers.some((marker) => piece.includes(marker)) && text.includes(piece)) found.add(piece);
    }
  }
  const basic = Buffer.from(`admin:${safeDecode(pw)}`).toString('base64');
  if (text.includes(basic)) found.add(basic);
  return [...found];
}

function expectClean(what: string, text: string, pw: string): void {
  const pieces = leaked(text, pw);
  const at = pieces[0] === undefined ? -1 : text.indexOf(pieces[0]);
  expect(pieces, `${what} leaks password ${JSON.stringify(pw)} (seed ${seed}): …${text.slice(Math.max(0, at - 300), at + 100)}…`).toEqual([]);
}

/** Every file under `dir`, as one text. */
function filesText(dir: string): string {
  const out: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(`--- ${full}\n${readFileSync(full, 'utf8')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

const outputOf = (result: Result) => `${result.stdout}\n${result.stderr}`;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const spans = useInMemorySpans();
let sim: Simulator;
let closed: number;
let hostPort: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3 });
  closed = await closedPort();
  hostPort = new URL(sim.url).host;
});
afterAll(async () => {
  await sim.close();
});

describe('secrets never reach a sink', { timeout: 600_000 }, () => {
  it('harness config, hosts and submit: whatever the password, in OLLAMA_HOSTS, HARNESS_STORE or HARNESS_QUEUE', async () => {
    const random = randomFor(1);
    for (let i = 0; i < 30; i++) {
      const pw = password(random);
      const env: Env = { ollamaHost: sim.url, snapshots: join(tempDir(), 'runs') };
      const settings = {
        OLLAMA_HOSTS: `http://admin:${pw}@gpu1:11434*2,gpu2:11434`,
        HARNESS_STORE: `postgres://app:${pw}@db:5432/runs?sslpassword=${pw}`,
        HARNESS_QUEUE: `redis://:${pw}@q:6379?prefix=p`,
      };
      for (const argv of [['config'], ['config', '--json']]) {
        const result = await inProcess(argv, env, settings);
        expect(result.code, result.stderr).toBe(0);
        expectClean(`harness ${argv.join(' ')}`, outputOf(result), pw);
      }
      const live = { OLLAMA_HOSTS: `http://admin:${pw}@${hostPort}*2, http://admin:${pw}@127.0.0.1:${closed}` };
      for (const argv of [['hosts'], ['hosts', '--json']]) {
        const result = await inProcess(argv, env, live);
        expect(result.code, result.stderr).toBe(1); // the closed one is down, and says why
        expectClean(`harness ${argv.join(' ')}`, outputOf(result), pw);
      }
      const cases: [string[], Record<string, string>][] = [
        [['submit', fixture('quick.workflow.ts'), '--input', '{"question":"q"}'], { OLLAMA_HOSTS: `http://admin:${pw}@gpu2:99999` }],
        [['hosts'], { OLLAMA_HOST: `http://admin:${pw}@gpu2:99999` }],
        [['submit', fixture('quick.workflow.ts'), '--skip-model-check'], { HARNESS_STORE: `postgres://app:${pw}@127.0.0.1:${closed}/runs?sslpassword=${pw}` }],
        [['submit', fixture('quick.workflow.ts'), '--skip-model-check'], { HARNESS_STORE: `postgres://app:${encodeURIComponent(pw)}@127.0.0.1:${closed}/runs?sslpassword=${encodeURIComponent(pw)}` }],
        [['submit', fixture('quick.workflow.ts'), '--skip-model-check', '--store', `postgres://h/db`, '--queue', `redis://:${pw}@`], {}],
      ];
      for (const [argv, extra] of cases) {
        const result = await inProcess(argv, env, extra);
        expect(result.code, result.stderr).toBe(2);
        expectClean(`harness ${argv.join(' ')} with ${Object.keys(extra).join(', ')}`, outputOf(result), pw);
      }
    }
  });

  it('harness run and worker, and every file of their runs: hosts with credentials, and a step config.host with them', async () => {
    const random = randomFor(2);
    for (let i = 0; i < 3; i++) {
      const pw = password(random);
      const env: Env = { ollamaHost: sim.url, snapshots: join(tempDir(), 'runs') };
      const quick = ['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}'];
      const hosts = { OLLAMA_HOSTS: `http://admin:${pw}@${hostPort}*2,http://admin:${pw}@127.0.0.1:${closed}` };
      const routed = await start(quick, env, hosts).done;
      expect(routed.code, routed.stderr).toBe(0);
      expectClean('harness run over OLLAMA_HOSTS', outputOf(routed), pw);

      // A step's own host: answering (Basic auth sent), out of reach (parked at once), malformed (a config error).
      const stepRun = [...quick, '--skip-model-check', '--park-after', '0'];
      for (const host of [`http://admin:${pw}@${hostPort}`, `http://admin:${pw}@127.0.0.1:${closed}`, `http://admin:${pw}@127.0.0.1:99999`]) {
        const result = await start(stepRun, env, { HARNESS_TEST_STEP_HOST: host }).done;
        expect(result.signal).toBeNull();
        expectClean(`harness run with config.host ${JSON.stringify(host)}`, outputOf(result), pw);
      }

      // A submitted run driven by a worker routing over hosts with credentials, then stopped.
      const submitted = await inProcess(['submit', fixture('quick.workflow.ts'), '--input', '{"question":"w"}', '--skip-model-check'], env);
      expect(submitted.code, submitted.stderr).toBe(0);
      const worker = start(['worker', '--poll-ms', '50'], env, hosts);
      await until(() => (worker.stdout().includes('leave ') ? true : undefined), 60_000);
      worker.child.kill('SIGTERM');
      const stopped = await worker.done;
      expect(stopped.code, stopped.stderr).toBe(0);
      expectClean('harness worker', outputOf(stopped), pw);
      const unreachable = await start(['worker'], env, { HARNESS_STORE: `postgres://app:${encodeURIComponent(pw)}@127.0.0.1:${closed}/runs?sslpassword=${encodeURIComponent(pw)}` }).done;
      expect(unreachable.code).toBe(2);
      expectClean('harness worker with HARNESS_STORE out of reach', outputOf(unreachable), pw);

      // checkpoint.json, history.ndjson, run.json, journal.ndjson, timeline.ndjson of every run made above, and the
      // workflow versions they run on (.versions/: code and definition, once per version).
      expect(readdirSync(env.snapshots).filter((name) => !name.startsWith('.')).length).toBe(5);
      expect(readdirSync(env.snapshots)).toContain('.versions');
      expectClean('run files', filesText(env.snapshots), pw);
    }
  });

  it('span attributes, events and statuses: a step host with credentials, a host set with them', async () => {
    const random = randomFor(3);
    for (let i = 0; i < 10; i++) {
      const pw = password(random);
      const store = new FileStore({ dir: tempDir() });
      for (const host of [`http://admin:${pw}@${hostPort}`, `http://admin:${pw}@127.0.0.1:${closed}`, `http://admin:${pw}@127.0.0.1:99999`]) {
        const workflow = oneStepWorkflow({ config: { host, timeoutMs: 5000 }, maxRetries: 0 });
        await runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, outage: { parkAfterMs: 0 } });
      }
      const hosts = new HostSet([`http://admin:${pw}@${hostPort}`, `http://admin:${pw}@127.0.0.1:${closed}`]);
      await runWorkflow({ store, workflow: oneStepWorkflow({ maxRetries: 0 }), modulePath, input: { question: 'q' }, hosts });
      const text = JSON.stringify(spans.all().map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status })));
      expect(spans.all().length).toBeGreaterThan(4);
      expectClean('spans', text, pw);
      expectClean('run files of in-process runs', filesText(store.dir), pw);
    }
  });

  it("the inspector's API, also for a run whose own flag quotes a URL with credentials", async () => {
    const pw = password(randomFor(4));
    const store = new FileStore({ dir: tempDir() });
    const host = `http://admin:${pw}@127.0.0.1:${closed}`;
    const ran = await runWorkflow({ store, workflow: oneStepWorkflow({ config: { host, timeoutMs: 5000 }, maxRetries: 0 }), modulePath, input: { question: 'q' }, outage: { parkAfterMs: 0 } });
    // A run written by hand (or by an older release) whose flag quotes the raw URL: the API still scrubs it.
    const session = await store.create({ ...ran, runId: 'quoted', createdAt: new Date().toISOString() });
    await session.commit({ ...ran, status: 'flagged', flags: [`gave up on http://admin:${pw}@gpu2:11434 (refused)`] });
    await session.close();
    const saved = process.env.OLLAMA_HOSTS;
    process.env.OLLAMA_HOSTS = `http://admin:${pw}@gpu1:11434,http://admin:${pw}@gpu2:11434*2`;
    const inspector = await startInspector({ store, pollMs: 200 });
    try {
      const paths = ['/api/info', '/api/runs', `/api/runs/${ran.runId}`, `/api/runs/${ran.runId}/history`, '/api/runs/quoted', '/api/runs/quoted/history', '/api/runs/nope'];
      for (const entry of ran.journal) paths.push(`/api/runs/${ran.runId}/calls/${encodeURIComponent(entry.key)}`);
      for (const path of paths) {
        const reply = await call(inspector.url, 'GET', path);
        expect(() => JSON.parse(reply.body), path).not.toThrow();
        expectClean(`GET ${path}`, reply.body, pw);
      }
      expect((await call(inspector.url, 'GET', '/api/runs/quoted')).body).toContain('gave up on http://***@gpu2:11434');
    } finally {
      await inspector.close();
      if (saved === undefined) delete process.env.OLLAMA_HOSTS;
      else process.env.OLLAMA_HOSTS = saved;
    }
  });
});
