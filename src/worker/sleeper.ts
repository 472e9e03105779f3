// An interruptible sleep in slices: Node's setTimeout fires at once for delays past 2^31−1 ms (DESIGN.md).
const maxSlice = 2 ** 31 - 1;

export class Sleeper {
  #wake: (() => void) | null = null;
  #timer: NodeJS.Timeout | undefined;
  #pending = false;

  /** Resolves at `until` (ms since the epoch) or at the first `wake()`, whichever is first. */
  async sleepUntil(until: number): Promise<void> {
    while (!this.#pending && Date.now() < until) {
      const slice = Math.min(maxSlice, Math.max(1, until - Date.now()));
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, slice);
      });
      clearTimeout(this.#timer);
      this.#wake = null;
    }
    this.#pending = false;
  }

  /** Ends the current sleep (or the next one, if none is under way). */
  wake(): void {
    this.#pending = true;
    this.#wake?.();
  }
}
