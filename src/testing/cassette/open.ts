// Turns the simulator's `cassette` option (a file, entries, or options) into a ready player.
import { readCassette } from './file.ts';
import { CassettePlayer } from './player.ts';
import type { CassetteEntry, CassetteOptions } from './types.ts';

export type CassetteSource = string | CassetteEntry[] | CassetteOptions;

/** Reads the cassette (RangeError for a missing or malformed file or bad options) and builds its player. */
export async function openCassette(source: CassetteSource): Promise<CassettePlayer> {
  const options: CassetteOptions = typeof source === 'string' || Array.isArray(source) ? { from: source } : source;
  const entries = typeof options.from === 'string' ? await readCassette(options.from) : options.from;
  if (!Array.isArray(entries)) throw new RangeError('cassette must be a file path, a list of entries, or { from, timing?, exhausted? }');
  return new CassettePlayer(entries, options);
}
