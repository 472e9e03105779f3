// An in-process CliIO whose stdout and stderr are captured as text, for running commands without spawning the CLI.
import { Writable } from 'node:stream';
import type { CliIO } from '../../src/cli/command.ts';

export type CapturedIO = CliIO & { out: () => string; err: () => string };

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** A CliIO with the real environment and `cwd` (default: the process's), its output read back by `out()` / `err()`. */
export function captureIO(cwd: string = process.cwd()): CapturedIO {
  const stdout = sink();
  const stderr = sink();
  return { stdout: stdout.stream, stderr: stderr.stream, env: process.env, cwd, out: stdout.text, err: stderr.text };
}
