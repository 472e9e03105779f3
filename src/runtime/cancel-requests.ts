// Cancel requests between processes: a marker file next to the run file, noticed by the process that drives the run.
import { existsSync, rmSync, writeFileSync } from 'node:fs';

const watched = new Map<string, () => void>();
let timer: NodeJS.Timeout | undefined;

/** How often a driver looks for a cancel marker. One timer serves every run of the process. */
const pollMs = 500;

function poll(): void {
  for (const [marker, cancel] of watched) if (existsSync(marker)) cancel();
}

/** Calls `cancel` once the marker appears; returns the function that stops watching. */
export function watchCancel(marker: string, cancel: () => void): () => void {
  watched.set(marker, cancel);
  if (!timer) {
    timer = setInterval(poll, pollMs);
    timer.unref();
  }
  return () => {
    watched.delete(marker);
    if (watched.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

export function requestCancel(marker: string): void {
  writeFileSync(marker, new Date().toISOString());
}

export function clearCancel(marker: string): void {
  rmSync(marker, { force: true });
}
