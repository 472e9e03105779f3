// Ends the process quietly when a reader closes its stdout or stderr pipe (`harness run … 2>&1 | head -1`).

let broken = false;

/** True once stdout or stderr has failed: nothing more can be shown, so nothing more should be written. */
export function outputBroken(): boolean {
  return broken;
}

/**
 * Listens for write errors (EPIPE when the reader went away) on the process's output streams. The first one calls
 * `onBroken` once; later ones are ignored. A closed pipe fails every later write again, so the listener never writes
 * anything itself: an error handler that reported on the broken stream would feed itself forever.
 */
export function guardOutput(streams: readonly NodeJS.WritableStream[], onBroken: (error: Error) => void): void {
  const onError = (error: Error) => {
    if (broken) return;
    broken = true;
    onBroken(error);
  };
  for (const stream of streams) stream.on('error', onError);
}

/**
 * What a broken pipe means for this process: the same as Ctrl-C. A command driving a run has a SIGINT handler that
 * stops at a checkpoint and releases the run's lock; a command without one ends at once, as the shell would end it.
 */
export function interruptSelf(): void {
  process.kill(process.pid, 'SIGINT');
}
