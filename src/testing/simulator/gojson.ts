// Go's encoding/json syntax as Ollama's handlers meet it (gin's ShouldBindJSON = json.NewDecoder(body).Decode):
// the first JSON value of a body parsed into a tree that keeps number literals as written, or Go's exact error.

/** A JSON value as Go's decoder sees it: numbers keep their literal text (Go's int fields reject "1.0"). */
export type GoNode =
  | { t: 'object'; entries: [string, GoNode][] }
  | { t: 'array'; items: GoNode[] }
  | { t: 'string'; value: string }
  | { t: 'number'; raw: string }
  | { t: 'bool'; value: boolean }
  | { t: 'null' };

/** Outcome of reading a body: a value, no value at all (io.EOF), or Go's syntax error text. */
export type Scanned = { ok: true; node: GoNode } | { ok: false; empty: true } | { ok: false; empty: false; message: string };

class SyntaxError extends Error {}

type Container = { kind: 'array'; items: GoNode[] } | { kind: 'object'; entries: [string, GoNode][]; key: string };

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const ESCAPES = new Set('"\\/bfnrtu'.split('').map((c) => c.charCodeAt(0)));
const NAMED: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 92: '\\\\' };

/** scanner.go quoteChar: the byte as strconv.Quote shows it (string(c) makes it the rune U+00XX). */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return '\'"\'';
  const named = NAMED[c];
  if (named) return `'${named}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // U+0080..U+009F, no-break space and soft hyphen are not printable for strconv.IsPrint.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u00${c.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

function isDigit(c: number | undefined): c is number {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && (isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/** A recursive-descent reading of scanner.go's state machine: same accepted language, same error texts. */
class Reader {
  i = 0;
  constructor(readonly bytes: Uint8Array) {}

  /** The byte at the cursor; running out of input inside a value is io.ErrUnexpectedEOF. */
  peek(): number {
    const c = this.bytes[this.i];
    if (c === undefined) throw new SyntaxError('unexpected EOF');
    return c;
  }

  fail(c: number, context: string): never {
    throw new SyntaxError(`invalid character ${quoteChar(c)} ${context}`);
  }

  skipSpace(): number {
    while (SPACE.has(this.peek())) this.i++;
    return this.peek();
  }

  /**
   * One value, iteratively (bodies may nest 10,000 deep, as Go allows): open containers wait on a stack, and each
   * finished value is handed to the one it belongs to.
   */
  value(): GoNode {
    const open: Container[] = [];
    for (;;) {
      let node = this.scalarOrOpen(open);
      while (node) {
        const top = open.at(-1);
        if (!top) return node;
        if (top.kind === 'array') top.items.push(node);
        else top.entries.push([top.key, node]);
        node = this.afterElement(open, top);
      }
    }
  }

  /** The start of a value: a whole scalar, an empty container, or undefined once a container is opened. */
  scalarOrOpen(open: Container[]): GoNode | undefined {
    const c = this.skipSpace();
    if (c === 0x7b || c === 0x5b) {
      this.i++;
      // scanner.go pushParseState: more than maxNestingDepth open containers is an error.
      if (open.length >= 10_000) this.fail(c, 'exceeded max depth');
      const close = this.skipSpace();
      if (c === 0x5b && close === 0x5d) return this.i++, { t: 'array', items: [] };
      if (c === 0x7b && close === 0x7d) return this.i++, { t: 'object', entries: [] };
      open.push(c === 0x5b ? { kind: 'array', items: [] } : { kind: 'object', entries: [], key: this.key() });
      return undefined;
    }
    if (c === 0x22) return { t: 'string', value: this.string() };
    if (c === 0x2d || isDigit(c)) return { t: 'number', raw: this.number() };
    if (c === 0x74) return this.literal('true', { t: 'bool', value: true });
    if (c === 0x66) return this.literal('false', { t: 'bool', value: false });
    if (c === 0x6e) return this.literal('null', { t: 'null' });
    return this.fail(c, 'looking for beginning of value');
  }

  /** After an element: a comma (then the next key, for objects) or the container's end, which is itself a value. */
  afterElement(open: Container[], top: Container): GoNode | undefined {
    const next = this.skipSpace();
    this.i++;
    const end = top.kind === 'array' ? 0x5d : 0x7d;
    if (next === end) {
      open.pop();
      return top.kind === 'array' ? { t: 'array', items: top.items } : { t: 'object', entries: top.entries };
    }
    if (next !== 0x2c) this.fail(next, top.kind === 'array' ? 'after array element' : 'after object key:value pair');
    if (top.kind === 'object') top.key = this.key();
    return undefined;
  }

  /** An object key and its colon. */
  key(): string {
    const q = this.skipSpace();
    if (q !== 0x22) this.fail(q, 'looking for beginning of object key string');
    const key = this.string();
    const colon = this.skipSpace();
    if (colon !== 0x3a) this.fail(colon, 'after object key');
    this.i++;
    return key;
  }

  /** A string token; the common case (no escapes) decodes straight from the bytes, without a second parse. */
  string(): string {
    const b = this.bytes;
    const start = this.i;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      const c = b[i];
      if (c === undefined) throw new SyntaxError('unexpected EOF');
      if (c === 0x22) break;
      if (c < 0x20) {
        this.i = i;
        this.fail(c, 'in string literal');
      }
      i++;
      if (c !== 0x5c) continue;
      escaped = true;
      this.i = i;
      const e = this.peek();
      if (!ESCAPES.has(e)) this.fail(e, 'in string escape code');
      i++;
      if (e !== 0x75) continue;
      for (let k = 0; k < 4; k++, i++) {
        this.i = i;
        if (!isHex(this.peek())) this.fail(this.peek(), 'in \\u hexadecimal character escape');
      }
    }
    this.i = i + 1;
    const buffer = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    // Invalid UTF-8 becomes U+FFFD, as Go's unquote does; the escapes are JSON's own.
    return escaped ? (JSON.parse(buffer.toString('utf8', start, i + 1)) as string) : buffer.toString('utf8', start + 1, i);
  }

  /** A number ends at the first byte that cannot continue it; that byte is judged by the enclosing value. */
  number(): string {
    const start = this.i;
    if (this.bytes[this.i] === 0x2d) {
      this.i++;
      if (!isDigit(this.peek())) this.fail(this.peek(), 'in numeric literal');
    }
    if (this.bytes[this.i] === 0x30) this.i++;
    else while (isDigit(this.bytes[this.i])) this.i++;
    if (this.bytes[this.i] === 0x2e) {
      this.i++;
      if (!isDigit(this.peek())) this.fail(this.peek(), 'after decimal point in numeric literal');
      while (isDigit(this.bytes[this.i])) this.i++;
    }
    const e = this.bytes[this.i];
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const sign = this.peek();
      if (sign === 0x2b || sign === 0x2d) this.i++;
      if (!isDigit(this.peek())) this.fail(this.peek(), 'in exponent of numeric literal');
      while (isDigit(this.bytes[this.i])) this.i++;
    }
    return Buffer.from(this.bytes.subarray(start, this.i)).toString('latin1');
  }

  literal(word: string, node: GoNode): GoNode {
    this.i++;
    for (const ch of word.slice(1)) {
      const c = this.peek();
      if (c !== ch.charCodeAt(0)) this.fail(c, `in literal ${word} (expecting '${ch}')`);
      this.i++;
    }
    return node;
  }
}

/**
 * Reads the first JSON value of `body` as json.Decoder.Decode does: whitespace only is io.EOF, a value cut short
 * is "unexpected EOF", and whatever follows a complete value is never looked at.
 */
export function scanJson(body: Uint8Array): Scanned {
  const reader = new Reader(body);
  while (reader.i < body.length && SPACE.has(body[reader.i] as number)) reader.i++;
  if (reader.i >= body.length) return { ok: false, empty: true };
  try {
    return { ok: true, node: reader.value() };
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: false, empty: false, message: error.message };
    throw error;
  }
}

/**
 * A node as encoding/json stores it in an `any`: objects keep the last of repeated keys, numbers are float64.
 * Iterative, like the reader: a value may nest as deep as Go lets it.
 */
export function plain(root: GoNode): unknown {
  const scalar = (node: GoNode): unknown => (node.t === 'number' ? Number(node.raw) : node.t === 'null' ? null : 'value' in node ? node.value : undefined);
  const made = new Map<GoNode, unknown>();
  const todo: { node: GoNode; expanded: boolean }[] = [{ node: root, expanded: false }];
  while (todo.length > 0) {
    const job = todo.pop() as { node: GoNode; expanded: boolean };
    const { node } = job;
    if (node.t !== 'object' && node.t !== 'array') {
      made.set(node, scalar(node));
      continue;
    }
    const children = node.t === 'array' ? node.items : node.entries.map(([, v]) => v);
    if (!job.expanded) {
      todo.push({ node, expanded: true }, ...children.map((child) => ({ node: child, expanded: false })));
      continue;
    }
    made.set(node, node.t === 'array' ? children.map((child) => made.get(child)) : Object.fromEntries(node.entries.map(([k, v]) => [k, made.get(v)])));
  }
  return made.get(root);
}
