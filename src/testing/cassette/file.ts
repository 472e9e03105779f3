// Cassette files: NDJSON, one exchange a line; read with a clear error per bad line, written one line per exchange.
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CassetteEntry } from './types.ts';

const entrySchema = z.object({
  request: z.object({
    method: z.string().min(1),
    path: z.string().startsWith('/'),
    json: z.unknown().optional(),
    text: z.string().optional(),
    sha256: z.string().optional(),
    bytes: z.number().int().min(0).optional(),
  }),
  reply: z.object({
    status: z.number().int().min(100).max(999),
    headers: z.record(z.string(), z.string()),
    headersAt: z.number().min(0),
    endAt: z.number().min(0),
    lines: z.array(z.object({ at: z.number().min(0), line: z.string() })).optional(),
    unterminated: z.boolean().optional(),
    body: z.string().optional(),
    base64: z.string().optional(),
    cut: z.enum(['upstream', 'client']).optional(),
  }),
  recordedAt: z.string(),
});

/** Parses cassette text; throws RangeError naming the file and line of the first bad entry. */
export function parseCassette(text: string, file = 'cassette'): CassetteEntry[] {
  const entries: CassetteEntry[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new RangeError(`${file}:${index + 1}: not JSON`);
    }
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RangeError(`${file}:${index + 1}: not a cassette entry (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`);
    }
    entries.push(parsed.data);
  });
  return entries;
}

/** Reads a cassette file; a missing or unreadable file is a RangeError too (it is a bad option). */
export async function readCassette(file: string): Promise<CassetteEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RangeError(`cannot read cassette ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseCassette(text, file);
}

/** Appends entries to a new (truncated) cassette file, one line each, in the order exchanges finish. */
export class CassetteWriter {
  readonly #stream: WriteStream;
  #failure: Error | undefined;
  #count = 0;

  private constructor(stream: WriteStream) {
    this.#stream = stream;
    stream.on('error', (error) => {
      this.#failure ??= error;
    });
  }

  /** Creates (or empties) `file`; rejects when it cannot be opened. */
  static async open(file: string): Promise<CassetteWriter> {
    const stream = createWriteStream(file, { flags: 'w', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new CassetteWriter(stream);
  }

  get count(): number {
    return this.#count;
  }

  write(entry: CassetteEntry): void {
    if (this.#failure || this.#stream.writableEnded) return;
    this.#count++;
    this.#stream.write(`${JSON.stringify(entry)}\n`);
  }

  /** Flushes and closes the file; rejects with the first write error, if any. */
  async close(): Promise<void> {
    if (!this.#stream.writableEnded) await new Promise<void>((resolve) => this.#stream.end(() => resolve()));
    if (this.#failure) throw this.#failure;
  }
}
