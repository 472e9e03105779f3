// Small text formatting shared by the commands: durations, times, token counts, truncated JSON, aligned tables.

/** `0.41s`, `12.3s`, `2m05s`, `1h02m`: short, and precise where it matters. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** An ISO timestamp as local `YYYY-MM-DD HH:MM:SS` (what a person compares with their clock). */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function tokens(tokensIn: number, tokensOut: number): string {
  return `${tokensIn} in / ${tokensOut} out`;
}

/** Compact JSON cut to `max` characters, so one huge output cannot flood a terminal. */
export function compactJson(value: unknown, max = 240): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return truncate(text, max);
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Pretty JSON for a person, with a note instead of the rest when it is long. */
export function prettyJson(value: unknown, max = 4000): string {
  const text = JSON.stringify(value, null, 2) ?? String(value);
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… (${text.length - max} more characters; use --json for the whole record)`;
}

// ANSI sequences take no columns: measure text without them when padding.
const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;
export const visibleLength = (text: string): number => text.replace(ansi, '').length;

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd(),
  );
}

/** Quotes a word for a POSIX shell only when it needs it (run ids never do; directories may). */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
