// The process's streams and environment as a CliIO, and whether a stream may carry colour.
import type { CliIO } from './command.ts';
import { interruptedExitCode } from './print-run.ts';

/** A writable that may be a terminal (process.stdout / process.stderr are). */
export type TermStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as TermStream).isTTY === true;
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything but the empty string (no-color.org). */
export function colorEnabled(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  return isTerminal(stream) && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string) => text;

export function paint(enabled: boolean): Paint {
  if (!enabled) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/**
 * Runs `serve` until SIGINT or SIGTERM fires its signal: the shape of every long-running command (inspect, simulate).
 * A second signal while it closes quits at once (130), after `onQuit` says what that leaves behind.
 */
export async function untilSignalled(serve: (stop: AbortSignal) => Promise<number>, onQuit: () => void = () => undefined): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => {
    if (!stop.signal.aborted) return stop.abort();
    onQuit();
    process.exit(interruptedExitCode);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await serve(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Resolves when `stop` fires (at once if it already has). */
export function stopped(stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });
}
