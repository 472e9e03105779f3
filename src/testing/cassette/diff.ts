// The JSON paths where two values differ, and a short description of each, for explaining a cassette miss.

export interface Difference {
  /** `messages[1].content`, `options.temperature`, or `(root)`. */
  path: string;
  recorded: unknown;
  got: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const keyPath = (base: string, key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? (base === '' ? key : `${base}.${key}`) : `${base}[${JSON.stringify(key)}]`);

/** Every leaf where `recorded` and `got` differ (a missing side is `undefined`); `root` names a difference at the top. */
export function differences(recorded: unknown, got: unknown, path = '', root = '(root)'): Difference[] {
  if (Array.isArray(recorded) && Array.isArray(got)) {
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(recorded.length, got.length); i++) out.push(...differences(recorded[i], got[i], `${path}[${i}]`));
    return out;
  }
  if (isRecord(recorded) && isRecord(got)) {
    const keys = [...new Set([...Object.keys(recorded), ...Object.keys(got)])].sort();
    return keys.flatMap((key) => differences(recorded[key], got[key], keyPath(path, key)));
  }
  if (JSON.stringify(recorded) === JSON.stringify(got)) return [];
  return [{ path: path === '' ? root : path, recorded, got }];
}

/** The value as JSON, cut to about 60 characters around `from` (where two strings start to differ). */
function shown(value: unknown, from = 0): string {
  if (value === undefined) return 'absent';
  if (typeof value === 'string' && value.length > 50) {
    const start = Math.max(0, from - 20);
    const cut = value.slice(start, start + 50);
    return `${start > 0 ? '…' : ''}${JSON.stringify(cut)}${start + 50 < value.length ? '…' : ''}`;
  }
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** `messages[1].content (recorded "a…", got "b…")`: long strings are shown from just before they differ. */
export function describeDifference(d: Difference): string {
  const from = typeof d.recorded === 'string' && typeof d.got === 'string' ? firstDifference(d.recorded, d.got) : 0;
  return `${d.path} (recorded ${shown(d.recorded, from)}, got ${shown(d.got, from)})`;
}
