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
}

type Callable = (...args: never[]) => unknown;
/** The names of a module's exported functions. */
export type FunctionExports<M> = { [K in keyof M]: M[K] extends Callable ? K : never }[keyof M] & string;
type ArgsOf<F> = F extends Callable ? Parameters<F> : never;
type ResultOf<F> = F extends Callable ? Awaited<ReturnType<F>> : never;

/**
 * Plain JavaScript, evaluated as the thread's script: registers tsx for a TypeScript module, imports the module,
 * calls the function and posts its result (or its error's message) back.
 */
const bootstrap = `
const { parentPort, workerData } = require('node:worker_threads');
const { loader, module, name, args } = workerData;
const post = (message) => {
  try {
    parentPort.postMessage(message);
  } catch (error) {
    parentPort.postMessage({ ok: false, message: 'its result cannot be sent back: ' + (error && error.message) });
  }
};
(async () => {
  if (loader) (await import(loader)).register();
  const mod = await import(module);
  if (typeof mod[name] !== 'function') throw new Error(module + ' exports no function ' + name);
  return mod[name](...args);
})().then(
  (value) => post({ ok: true, value }),
  (error) => post({ ok: false, message: error instanceof Error ? error.message : String(error) }),
);
`;

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
 * Each call starts its own thread (tens of milliseconds, a few hundred when tsx must load TypeScript): use it for work
 * that may run long or hang, not for work that is always quick.
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
    let worker: Worker;
    try {
      const loader = isTypeScriptModule(href) ? tsxLoader() : undefined;
      worker = new Worker(bootstrap, {
        eval: true,
        workerData: { loader, module: href, name, args },
        ...(options.maxHeapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb } } : {}),
      });
    } catch (error) {
      return reject(error);
    }
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      finish();
    };
    const onAbort = () => settle(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: unknown) => {
      if (!isReply(message)) return settle(() => reject(new Error(`off-thread ${name}: unexpected message from its thread`)));
      // The one place a type cannot be carried: the value crossed a thread boundary as `unknown`, produced by the
      // very function whose type `M[K]` names.
      if (message.ok) return settle(() => resolve(message.value as ResultOf<M[K]>));
      return settle(() => reject(new Error(message.message)));
    });
    worker.once('error', (error) => settle(() => reject(error)));
    worker.once('exit', (code) => settle(() => reject(new Error(`off-thread ${name}: its thread exited (code ${code}) without an answer`))));
  });
}
