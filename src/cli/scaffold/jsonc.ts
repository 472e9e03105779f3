// tsconfig.json is JSON with comments and trailing commas (what `tsc --init` writes): read it, and add keys to one of
// its objects by inserting text, so the user's comments and layout stay as they were.

/** The text with comments and trailing commas blanked out by spaces: same length, so offsets still match. */
export function blankComments(text: string): string {
  const out = text.split('');
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let j = from; j < to; j++) if (out[j] !== '\n') out[j] = ' ';
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else {
      i++;
    }
  }
  // A comma followed only by blanks before a closing bracket is a trailing comma.
  return out.join('').replace(/,(\s*[}\]])/g, ' $1');
}

/** Parses JSON with comments and trailing commas; throws SyntaxError like JSON.parse. */
export function parseJsonc(text: string): unknown {
  return JSON.parse(blankComments(text));
}

/**
 * Adds `entries` (keys absent from it) to the object at `key` of the top-level object, creating that object when
 * it is missing: e.g. compilerOptions. Returns the new text. Only for text that parseJsonc accepts.
 */
export function addToObject(text: string, key: string, entries: Record<string, unknown>): string {
  const plain = blankComments(text);
  const indent = /\n([ \t]+)"/.exec(plain)?.[1] ?? '  ';
  const keyAt = new RegExp(`"${key}"\\s*:\\s*\\{`).exec(plain);
  const lines = (depth: number) =>
    Object.entries(entries).map(([k, v]) => `${indent.repeat(depth)}${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  if (keyAt) {
    const at = keyAt.index + keyAt[0].length;
    const empty = /^\s*\}/.test(plain.slice(at));
    const body = lines(2).join('\n');
    return `${text.slice(0, at)}\n${empty ? body.slice(0, -1) : body}${text.slice(at)}`;
  }
  const open = plain.indexOf('{');
  const empty = /^\s*\}/.test(plain.slice(open + 1));
  const block = `\n${indent}${JSON.stringify(key)}: {\n${lines(2).join('\n').slice(0, -1)}\n${indent}}${empty ? '\n' : ','}`;
  return `${text.slice(0, open + 1)}${block}${text.slice(open + 1)}`;
}
