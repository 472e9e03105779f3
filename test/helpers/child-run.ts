// Test helper: a run driven in a child process (`node --import tsx <script> …`), to be killed at will and awaited.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface ChildRun {
  exited: Promise<ChildExit>;
  /** SIGKILL: no handler runs, nothing is flushed. */
  kill: () => void;
}

/** Starts `script` with `args` from the project root, `env` over this process's; a child that hangs is killed after a minute. */
export function spawnChild(script: string, args: string[], env: Record<string, string> = {}): ChildRun {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const watchdog = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  const exited = new Promise<ChildExit>((resolve) =>
    proc.once('exit', (code, signal) => {
      clearTimeout(watchdog);
      resolve({ code, signal, stderr });
    }),
  );
  return { exited, kill: () => proc.kill('SIGKILL') };
}

/** Waits for the child's exit, which must be a success: anything else fails with its stderr. */
export async function settled(run: ChildRun): Promise<void> {
  const exit = await run.exited;
  if (exit.code !== 0) throw new Error(`child exited ${exit.code ?? exit.signal}:\n${exit.stderr}`);
}
