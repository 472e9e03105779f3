// Strings that match a regular expression (the JSON Schema `pattern` keyword), for the common subset of regex syntax.
// Lookarounds and backreferences are skipped, so callers must check the result with a real RegExp.

type Node =
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'set'; chars: string[]; negated: boolean }
  | { kind: 'text'; text: string }
  | { kind: 'empty' };

/** Characters a negated set or `.` draws from. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_'.split('');
const DIGITS = '0123456789'.split('');
const WORD = [...ALPHABET.slice(0, 62), '_'];
const SPACE = [' '];
/** Repetitions beyond the minimum are capped, so `.*` does not produce a novel. */
const MAX_EXTRA = 3;

class Parser {
  #pos = 0;
  constructor(private readonly source: string) {}

  parse(): Node {
    const node = this.#alternation();
    if (this.#pos < this.source.length) throw new Error(`unexpected ${this.source[this.#pos]}`);
    return node;
  }

  #peek(): string | undefined {
    return this.source[this.#pos];
  }

  #alternation(): Node {
    const options = [this.#sequence()];
    while (this.#peek() === '|') {
      this.#pos++;
      options.push(this.#sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  }

  #sequence(): Node {
    const items: Node[] = [];
    for (let c = this.#peek(); c !== undefined && c !== '|' && c !== ')'; c = this.#peek()) {
      items.push(this.#quantified(this.#atom()));
    }
    return { kind: 'seq', items };
  }

  #quantified(node: Node): Node {
    const c = this.#peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.source.slice(this.#pos))) {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.#pos)) as RegExpExecArray;
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      this.#pos += match[0].length - 1;
    } else return node;
    this.#pos++;
    if (this.#peek() === '?' || this.#peek() === '+') this.#pos++; // lazy or possessive: same strings
    return { kind: 'repeat', node, min, max };
  }

  #atom(): Node {
    const c = this.source[this.#pos++] as string;
    if (c === '(') {
      let skip = false;
      if (this.#peek() === '?') {
        const rest = this.source.slice(this.#pos);
        const prefix = /^\?(<=|<!|:|=|!|<[A-Za-z_][A-Za-z0-9_]*>)/.exec(rest)?.[0];
        if (prefix === undefined) throw new Error('unsupported group');
        // Lookarounds match no characters: generate nothing for them and let the final RegExp test judge.
        skip = prefix === '?=' || prefix === '?!' || prefix === '?<=' || prefix === '?<!';
        this.#pos += prefix.length;
      }
      const inner = this.#alternation();
      if (this.#peek() !== ')') throw new Error('unclosed group');
      this.#pos++;
      return skip ? { kind: 'empty' } : inner;
    }
    if (c === '[') return this.#set();
    if (c === '^' || c === '$') return { kind: 'empty' };
    if (c === '.') return { kind: 'set', chars: ALPHABET, negated: false };
    if (c === '\\') return this.#escape(false);
    return { kind: 'text', text: c };
  }

  #escape(inSet: boolean): Node & { kind: 'set' | 'text' | 'empty' } {
    const c = this.source[this.#pos++];
    if (c === undefined) throw new Error('trailing backslash');
    if (c === 'd') return { kind: 'set', chars: DIGITS, negated: false };
    if (c === 'w') return { kind: 'set', chars: WORD, negated: false };
    if (c === 's') return { kind: 'set', chars: SPACE, negated: false };
    if (c === 'D') return { kind: 'set', chars: DIGITS, negated: true };
    if (c === 'W') return { kind: 'set', chars: WORD, negated: true };
    if (c === 'S') return { kind: 'set', chars: SPACE, negated: true };
    if (c === 'n') return { kind: 'text', text: '\n' };
    if (c === 't') return { kind: 'text', text: '\t' };
    if (c === 'u' && /^[0-9a-fA-F]{4}/.test(this.source.slice(this.#pos))) {
      const code = this.source.slice(this.#pos, this.#pos + 4);
      this.#pos += 4;
      return { kind: 'text', text: String.fromCharCode(parseInt(code, 16)) };
    }
    if ((c === 'p' || c === 'P') && this.#peek() === '{') throw new Error('unicode classes are not supported');
    if (!inSet && (c === 'b' || c === 'B' || /[1-9]/.test(c))) return { kind: 'empty' };
    return { kind: 'text', text: c };
  }

  #set(): Node {
    const negated = this.#peek() === '^';
    if (negated) this.#pos++;
    const chars: string[] = [];
    let first = true;
    while (this.#peek() !== ']' || first) {
      first = false;
      let c = this.source[this.#pos++];
      if (c === undefined) throw new Error('unclosed set');
      if (c === '\\') {
        const escaped = this.#escape(true);
        if (escaped.kind === 'set') {
          chars.push(...(escaped.negated ? ALPHABET.filter((x) => !escaped.chars.includes(x)) : escaped.chars));
          continue;
        }
        c = escaped.kind === 'text' ? escaped.text : '';
      }
      if (this.#peek() === '-' && this.source[this.#pos + 1] !== ']' && this.source[this.#pos + 1] !== undefined) {
        this.#pos++;
        let end = this.source[this.#pos++] as string;
        if (end === '\\') {
          const escaped = this.#escape(true);
          end = escaped.kind === 'text' ? escaped.text : end;
        }
        for (let code = c.charCodeAt(0); code <= end.charCodeAt(0) && chars.length < 512; code++) {
          chars.push(String.fromCharCode(code));
        }
      } else if (c !== '') chars.push(c);
    }
    this.#pos++;
    return { kind: 'set', chars, negated };
  }
}

function generate(node: Node, random: () => number, out: string[]): void {
  switch (node.kind) {
    case 'seq':
      for (const item of node.items) generate(item, random, out);
      return;
    case 'alt':
      generate(node.options[Math.floor(random() * node.options.length)] as Node, random, out);
      return;
    case 'repeat': {
      const extra = Math.min(node.max - node.min, MAX_EXTRA);
      const count = node.min + Math.floor(random() * (extra + 1));
      for (let i = 0; i < count; i++) generate(node.node, random, out);
      return;
    }
    case 'set': {
      const pool = node.negated ? ALPHABET.filter((c) => !node.chars.includes(c)) : node.chars;
      const pick = pool[Math.floor(random() * pool.length)];
      if (pick !== undefined) out.push(pick);
      return;
    }
    case 'text':
      out.push(node.text);
      return;
    case 'empty':
      return;
  }
}

/** Compiles a pattern as JSON Schema means it (ECMA-262, unanchored), or undefined when JS cannot read it. */
export function compilePattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return undefined;
    }
  }
}

/**
 * A string matching `pattern`, or undefined when none was found in a few tries (unsupported syntax, or
 * lookarounds the generator ignores).
 */
export function stringForPattern(pattern: string, random: () => number, accept: (s: string) => boolean = () => true): string | undefined {
  const regex = compilePattern(pattern);
  if (!regex) return undefined;
  let tree: Node;
  try {
    tree = new Parser(pattern).parse();
  } catch {
    return undefined;
  }
  for (let attempt = 0; attempt < 8; attempt++) {
    const out: string[] = [];
    generate(tree, random, out);
    const candidate = out.join('');
    if (regex.test(candidate) && accept(candidate)) return candidate;
  }
  return undefined;
}
