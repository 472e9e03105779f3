// When a kept checkpoint is written whole and when as a change: the one policy every store's history follows.
import { applyDelta, diff } from './json-delta.ts';

/** One checkpoint ready to write: its JSON (the checkpoint whole, or a delta), and what a reader will rebuild. */
export interface ChainLink {
  whole: boolean;
  /** JSON text: the checkpoint when `whole`, otherwise the delta against the previous link. */
  json: string;
  /** The checkpoint as a reader rebuilds it from this link: never the caller's objects, which may change. */
  rebuilt: unknown;
  /** What the link weighs as stored: its JSON and the overhead it was made with. */
  bytes: number;
}

/**
 * One writer's chain of checkpoints: a whole one first, then what changed since the previous one, and whole again
 * once the changes written since the last whole one add up to more than it. Reading the latest back costs at most
 * about two whole checkpoints, and each write's bytes follow the size of its change. `overhead`: bytes each link
 * carries besides its JSON (a history line's head), counted so the bound holds for what is actually stored.
 */
export class DeltaChain {
  #last: unknown;
  #started = false;
  #wholeBytes = 0;
  #sinceWhole = 0;

  /** Serialises `checkpoint` now: the caller may change its objects afterwards. */
  next(checkpoint: unknown, overhead = 0): ChainLink {
    if (this.#started) {
      const json = JSON.stringify(diff(this.#last, checkpoint) ?? [1, {}]);
      if (this.#sinceWhole + json.length + overhead <= this.#wholeBytes) {
        const delta: unknown = JSON.parse(json);
        return { whole: false, json, rebuilt: applyDelta(this.#last, delta), bytes: json.length + overhead };
      }
    }
    const json = JSON.stringify(checkpoint);
    const rebuilt: unknown = JSON.parse(json);
    return { whole: true, json, rebuilt, bytes: json.length + overhead };
  }

  /** The link was stored: the next change is taken against it. */
  written(link: ChainLink): void {
    this.#last = link.rebuilt;
    this.#started = true;
    if (link.whole) {
      this.#wholeBytes = link.bytes;
      this.#sinceWhole = 0;
    } else this.#sinceWhole += link.bytes;
  }

  /**
   * A write whose outcome is unknown (an error after the bytes may have been stored): the next link is whole, since a
   * change against either possible previous one could be read against the other.
   */
  restart(): void {
    this.#started = false;
  }
}
