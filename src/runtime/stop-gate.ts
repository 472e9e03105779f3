// The graceful-stop gate: calls in flight are counted, and a stop waits — at most its grace — for them to be journaled.
import type { CallGate } from '../steps/services.ts';

/**
 * Calls in flight pass the gate. `close` shuts it (no new call starts) and stops the run once they have all left, or
 * once the grace has run out, naming those still in flight (they are made again on resume). The stop happens once.
 */
export class StopGate implements CallGate {
  #closed = false;
  #stopped = false;
  readonly #inCalls = new Set<{ label: string }>();
  #drained: (() => void) | null = null;
  #timer: NodeJS.Timeout | undefined;

  closed(): boolean {
    return this.#closed;
  }

  enter(label = 'a call'): () => void {
    const call = { label };
    this.#inCalls.add(call);
    return () => {
      if (this.#inCalls.delete(call) && this.#inCalls.size === 0) this.#drained?.();
    };
  }

  /** Labels of the calls in flight, in the order they entered. */
  inFlight(): string[] {
    return [...this.#inCalls].map((call) => call.label);
  }

  /** Shuts the gate; `stop` runs once: with no call cut off when they have all left, else with those cut off at `graceMs`. */
  close(graceMs: number, stop: (cutOff: string[]) => void): void {
    this.#closed = true;
    const once = (cutOff: string[]) => {
      if (this.#stopped) return;
      this.#stopped = true;
      this.dispose();
      stop(cutOff);
    };
    if (this.#inCalls.size === 0) return once([]);
    this.#drained = () => once([]);
    this.#timer = setTimeout(() => once(this.inFlight()), graceMs);
  }

  /** Clears the grace timer (the run ended another way). */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#drained = null;
  }
}
