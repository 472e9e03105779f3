// What the queue benchmarks share: `harness worker --queue` processes, a store schema and queue prefix of their own on
// the shared PostgreSQL and Redis, and the one-step workflow they drive.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { connectStore, type UrlStore } from '../src/cli/store-url.ts';
import { submitRun } from '../src/runtime/runs.ts';
import { parseQueueUrl, RunQueue } from '../src/worker/queue/index.ts';
import oneStep from './one-step.workflow.ts';

export const oneStepModule = fileURLToPath(new URL('./one-step.workflow.ts', import.meta.url));
export const root = dirname(dirname(oneStepModule));

const pgUrl = process.env.HARNESS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const redisUrl = process.env.HARNESS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const fresh = () => `harness_bench_${randomBytes(5).toString('hex')}`;
const withParam = (url: string, key: string, value: string) => {
  const parsed = new URL(url);
  parsed.searchParams.set(key, value);
  return parsed.toString();
};

export interface WorkerProc {
  child: ChildProcess;
  /** Resolves once the worker has connected and said so on stderr. */
  ready: Promise<void>;
  /** Calls `listener` with each stdout line. */
  onLine(listener: (line: string) => void): void;
  /** The runs it has taken and neither left nor put off (a killed drive does neither). */
  inHand: Set<string>;
}

export function startWorkerProc(storeUrl: string, queueUrl: string, ollamaHost: string, extra: string[] = []): WorkerProc {
  const args = ['bin/harness.js', 'worker', '--store', storeUrl, '--queue', queueUrl, '--sweep-ms', '0', ...extra];
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, OLLAMA_HOST: ollamaHost, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const listeners: ((line: string) => void)[] = [];
  const inHand = new Set<string>();
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [verb, runId] = line.split(/ +/);
      if (verb === 'take' && runId) inHand.add(runId);
      if ((verb === 'leave' || verb === 'later' || verb === 'skip') && runId) inHand.delete(runId);
      for (const listener of listeners) listener(line);
    }
  });
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (/^worker \d+ on /m.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`)));
  });
  ready.catch(() => undefined); // a worker killed before it was ready: whoever awaits it hears it
  return { child, ready, onLine: (listener) => listeners.push(listener), inHand };
}

export async function stopAll(procs: WorkerProc[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.all(
    procs.map(({ child }) =>
      child.exitCode !== null || child.signalCode !== null ? undefined : new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    ),
  );
}

export interface Scratch {
  store: UrlStore;
  storeUrl: string;
  queueUrl: string;
  queue: RunQueue;
  /** Creates a run of the one-step workflow (not queued). */
  submit(runId: string): Promise<string>;
  remove(): Promise<void>;
}

/** A store schema and queue prefix of their own, dropped afterwards. */
export async function scratch(): Promise<Scratch> {
  const schema = fresh();
  const prefix = fresh();
  const storeUrl = withParam(pgUrl, 'schema', schema);
  const queueUrl = withParam(redisUrl, 'prefix', prefix);
  const store = await connectStore(storeUrl);
  const target = parseQueueUrl(queueUrl);
  if (!target) throw new Error(`bad queue url ${queueUrl}`);
  const queue = await RunQueue.connect(target);
  return {
    store,
    storeUrl,
    queueUrl,
    queue,
    submit: (runId) => submitRun({ store, workflow: oneStep, modulePath: oneStepModule, input: { question: runId }, runId, cwd: root }),
    async remove() {
      await queue.close();
      await store.end();
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      await dropPrefix(prefix);
    },
  };
}

export async function dropPrefix(prefix: string): Promise<void> {
  const client = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
  client.disconnect();
}
