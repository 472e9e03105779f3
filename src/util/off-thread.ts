// Runs a module's exported function in a worker thread: CPU-heavy or untrusted work kept off the event loop (where
// timers, heartbeats and leases live), and ended for real — the thread terminated — when its signal fires.
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { isTypeScriptModule, TypeScriptLoaderMissingError } from './typescript.ts';

export interface OffThreadOptions {
  /** Terminates the thread and rejects with the signal's reason (a tool passes `ctx.signal`: its deadline and stops). */
  signal?: AbortSignal;
  /** Terminates the thread after this long and rejects with a `TimeoutError`. */
  timeoutMs?: number;
  /** The thread's heap limit, MB: a runaway allocation ends the call with an error instead of the process. */
  maxHeapMb?: number;
  /** Keep the thread warm for the next call to the module once it answers (default true); false ends it. */
  keepWarm?: boolean;
}

type Callable = (...args: never[]) => unknown;
/** The names of a module's exported functions. */
export type FunctionExports<M> = { [K in keyof M]: M[K] extends Callable ? K : never }[keyof M] & string;
type ArgsOf<F> = F extends Callable ? Parameters<F> : never;
type ResultOf<F> = F extends Callable ? Awaited<ReturnType<F>> : never;

/**
 * Plain JavaScript, evaluated as the thread's script: registers tsx for a TypeScript module, imports the module once,
 * then for each message `{ name, args }` calls the function and posts its result (or its error's message) back.
 */
const bootstrap = `
const { parentPort, workerData } = require('node:worker_threads');
const { loader, module } = workerData;
const loaded = (async () => {
  if (loader) (await import(loader)).register();
  return import(module);
})();
const post = (message) => {
  try {
    parentPort.postMessage(message);
  } catch (error) {
    parentPort.postMessage({ ok: false, message: 'its result cannot be sent back: ' + (error && error.message) });
  }
};
parentPort.on('message', async ({ name, args }) => {
  try {
    const mod = await loaded;
    if (typeof mod[name] !== 'function') throw new Error(module + ' exports no function ' + name);
    post({ ok: true, value: await mod[name](...args) });
  } catch (error) {
    post({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
`;

/** How long a thread that answered waits for another call to its module before it is ended. */
const idleMs = 10_000;

interface Parked {
  worker: Worker;
  timer: NodeJS.Timeout;
}

/**
 * Threads that answered, kept per module (and heap limit) for the next call: starting one costs tens of
 * milliseconds, several hundred when tsx must load. Unref'd, they never keep the process alive. Process-wide on
 * purpose, like an HTTP agent's idle sockets: a thread is a process resource, not a run's.
 */
const idle = new Map<string, Parked[]>();

function takeThread(key: string, start: () => Worker): Worker {
  const parked = idle.get(key)?.pop();
  if (!parked) return start();
  clearTimeout(parked.timer);
  parked.worker.ref();
  return parked.worker;
}

function parkThread(key: string, worker: Worker): void {
  worker.unref();
  const list = idle.get(key) ?? [];
  const parked: Parked = {
    worker,
    timer: setTimeout(() => {
      list.splice(list.indexOf(parked), 1);
      void worker.terminate();
    }, idleMs).unref(),
  };
  list.push(parked);
  idle.set(key, list);
}

type Reply = { ok: true; value: unknown } | { ok: false; message: string };

function isReply(message: unknown): message is Reply {
  if (typeof message !== 'object' || message === null || !('ok' in message)) return false;
  return message.ok === true ? 'value' in message : 'message' in message && typeof message.message === 'string';
}

/** tsx's loader API as the harness resolves it (an optional peer): needed only for a TypeScript module. */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch (error) {
    throw new TypeScriptLoaderMissingError(error);
  }
}

function moduleUrl(module: URL | string): string {
  if (module instanceof URL) return module.href;
  return module.startsWith('file:') ? module : pathToFileURL(module).href;
}

/**
 * Calls `name` exported by `module` (a `file:` URL or an absolute path, JavaScript or TypeScript) in a fresh worker
 * thread with `args`, and resolves with what it returns. Arguments and result cross by structured clone (plain data);
 * a throw rejects with its message. When `signal` fires or `timeoutMs` passes, the thread is terminated — even in the
 * middle of a synchronous loop or a backtracking regular expression — and the promise rejects at once.
 *
 * A thread that answered is kept warm (unref'd, 10 s) for the next call to the same module, which then costs about a
 * millisecond; a new one costs tens of milliseconds, a few hundred when tsx must load TypeScript. A thread is reused,
 * so the function must not rely on fresh module state. Structured clone copies arguments and results: bound them.
 *
 * @example
 * // grep.ts: export function grep(input: { text: string; pattern: string }): string[] { … }
 * const lines = await runOffThread<typeof import('./grep.ts')>(new URL('./grep.ts', import.meta.url), 'grep',
 *   [{ text, pattern }], { signal: ctx.signal });
 */
export function runOffThread<M, K extends FunctionExports<M> = FunctionExports<M>>(
  module: URL | string,
  name: K,
  args: ArgsOf<M[K]>,
  options: OffThreadOptions = {},
): Promise<ResultOf<M[K]>> {
  const signals = [options.signal, options.timeoutMs !== undefined ? AbortSignal.timeout(options.timeoutMs) : undefined].filter((s) => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const href = moduleUrl(module);
    const key = `${options.maxHeapMb ?? ''}:${href}`;
    let worker: Worker;
    try {
      worker = takeThread(key, () => {
        const loader = isTypeScriptModule(href) ? tsxLoader() : undefined;
        return new Worker(bootstrap, {
          eval: true,
          workerData: { loader, module: href },
          ...(options.maxHeapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb } } : {}),
        });
      });
      worker.postMessage({ name, args });
    } catch (error) {
      return reject(error);
    }
    /** Ends the call: a thread that answered is kept for the next one; any other is terminated. */
    const settle = (answered: boolean, finish: () => void) => {
      signal?.removeEventListener('abort', onAbort);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (answered && options.keepWarm !== false) parkThread(key, worker);
      else void worker.terminate();
      finish();
    };
    const onAbort = () => settle(false, () => reject(signal?.reason));
    const onMessage = (message: unknown) => {
      if (!isReply(message)) return settle(false, () => reject(new Error(`off-thread ${name}: unexpected message from its thread`)));
      // The one place a type cannot be carried: the value crossed a thread boundary as `unknown`, produced by the
      // very function whose type `M[K]` names.
      if (message.ok) return settle(true, () => resolve(message.value as ResultOf<M[K]>));
      return settle(true, () => reject(new Error(message.message)));
    };
    const onError = (error: Error) => settle(false, () => reject(error));
    const onExit = (code: number) => settle(false, () => reject(new Error(`off-thread ${name}: its thread exited (code ${code}) without an answer`)));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}
