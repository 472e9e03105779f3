// A pull's progress for a person: on a terminal one bar per layer (percent, bytes, digest), otherwise plain lines.
import type { PullProgress } from '../llm/models/index.ts';

/** Bytes as Ollama's format.HumanBytes writes them (powers of 1000): `4.7 GB`, `11 KB`, `96 B`. */
export function humanBytes(bytes: number): string {
  const units: [number, string][] = [[1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'KB']];
  for (const [scale, unit] of units) {
    if (bytes >= scale) {
      const value = bytes / scale;
      return `${value >= 10 ? Math.round(value) : Number(value.toFixed(1))} ${unit}`;
    }
  }
  return `${Math.round(bytes)} B`;
}

const barWidth = 24;

/** `pulling 1a2b3c4d5e6f  50% ▕████████            ▏ 2.3 GB/4.7 GB` */
function layerLine(p: PullProgress & { total: number }): string {
  const done = Math.min(p.completed ?? 0, p.total);
  const share = p.total > 0 ? done / p.total : 1;
  const filled = Math.round(share * barWidth);
  const bar = `▕${'█'.repeat(filled)}${' '.repeat(barWidth - filled)}▏`;
  return `${p.status}  ${String(Math.floor(share * 100)).padStart(3)}% ${bar} ${humanBytes(done)}/${humanBytes(p.total)}`;
}

export class PullProgressView {
  readonly #stream: NodeJS.WritableStream;
  readonly #tty: boolean;
  /** The status (and layer digest) of the line shown last. */
  #current: string | null = null;
  /** On a terminal: the last line is still being redrawn and needs its newline. */
  #open = false;

  constructor(stream: NodeJS.WritableStream, tty: boolean) {
    this.#stream = stream;
    this.#tty = tty;
  }

  update(progress: PullProgress): void {
    const key = `${progress.status}\0${progress.digest ?? ''}`;
    const isNew = key !== this.#current;
    this.#current = key;
    const total = progress.total;
    if (this.#tty) {
      if (isNew) this.#end();
      const line = total !== undefined ? layerLine({ ...progress, total }) : progress.status;
      this.#stream.write(`\r\x1b[K${line}`);
      this.#open = true;
      return;
    }
    // Plain output: each step once, a layer with its size.
    if (isNew) this.#stream.write(`${progress.status}${total !== undefined ? `  ${humanBytes(total)}` : ''}\n`);
  }

  /** Ends the line being redrawn, before anything else is written. */
  close(): void {
    this.#end();
  }

  #end(): void {
    if (this.#open) this.#stream.write('\n');
    this.#open = false;
  }
}
