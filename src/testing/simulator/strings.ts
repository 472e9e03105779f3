// Synthesized strings: words of a plausible vocabulary, JSON Schema string formats, lengths and patterns.
import { compilePattern, stringForPattern } from './pattern.ts';

export const WORDS = [
  'the', 'model', 'returns', 'a', 'simulated', 'answer', 'for', 'this', 'request', 'with', 'steady', 'tokens',
  'function', 'value', 'state', 'machine', 'workflow', 'step', 'result', 'check', 'output', 'input', 'data',
  'parse', 'review', 'score', 'retry', 'plan', 'code', 'test', 'build', 'report', 'summary', 'item', 'list',
  'field', 'schema', 'record', 'event', 'context', 'agent', 'task', 'queue', 'signal', 'cache', 'branch',
  'and', 'of', 'to', 'in', 'is', 'it', 'on', 'as', 'by', 'from', 'then', 'when', 'each', 'new', 'next',
];

export function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

export function words(count: number, random: () => number): string[] {
  return Array.from({ length: count }, () => pick(WORDS, random));
}

function digits(count: number, random: () => number): string {
  return Array.from({ length: count }, () => Math.floor(random() * 10)).join('');
}

function fromAlphabet(alphabet: string, count: number, random: () => number): string {
  return Array.from({ length: count }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

const HEX = '0123456789abcdef';
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const NANOID = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A value for a JSON Schema `format` (including the ones zod 4 emits), or undefined for unknown formats. */
export function formatted(format: string, random: () => number): string | undefined {
  const int = (n: number) => Math.floor(random() * n);
  const date = `20${two(20 + int(6))}-${two(1 + int(12))}-${two(1 + int(28))}`;
  const time = `${two(int(24))}:${two(int(60))}:${two(int(60))}`;
  switch (format) {
    case 'email':
    case 'idn-email':
      return `${pick(WORDS, random)}.${pick(WORDS, random)}${int(100)}@example.com`;
    case 'uri':
    case 'url':
    case 'iri':
    case 'uri-reference':
      return `https://example.com/${pick(WORDS, random)}/${int(1000)}`;
    case 'uuid':
    case 'guid':
      return [
        fromAlphabet(HEX, 8, random),
        fromAlphabet(HEX, 4, random),
        `4${fromAlphabet(HEX, 3, random)}`,
        `${pick(['8', '9', 'a', 'b'], random)}${fromAlphabet(HEX, 3, random)}`,
        fromAlphabet(HEX, 12, random),
      ].join('-');
    case 'date-time':
      return `${date}T${time}Z`;
    case 'date':
      return date;
    case 'time':
      return time;
    case 'duration':
      return `P${1 + int(30)}D`;
    case 'ipv4':
      return `10.${int(256)}.${int(256)}.${1 + int(254)}`;
    case 'ipv6':
      return `2001:db8::${fromAlphabet(HEX, 4, random)}`;
    case 'cidrv4':
      return `10.${int(256)}.0.0/16`;
    case 'cidrv6':
      return '2001:db8::/32';
    case 'hostname':
    case 'idn-hostname':
      return `${pick(WORDS, random)}${int(100)}.example.com`;
    case 'nanoid':
      return fromAlphabet(NANOID, 21, random);
    case 'cuid':
      return `c${fromAlphabet(BASE36, 24, random)}`;
    case 'cuid2':
      return fromAlphabet(BASE36, 24, random);
    case 'ulid':
      return `01${fromAlphabet(CROCKFORD, 24, random)}`;
    case 'base64':
      return Buffer.from(words(3, random).join(' ')).toString('base64');
    case 'base64url':
      return base64url(words(3, random).join(' '));
    case 'e164':
      return `+1${2 + int(8)}${digits(9, random)}`;
    case 'emoji':
      return pick(['😀', '🚀', '✨', '🎉', '👍'], random);
    case 'jwt':
      return [
        base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })),
        base64url(JSON.stringify({ sub: String(int(10_000)) })),
        fromAlphabet(NANOID, 43, random),
      ].join('.');
    case 'hex':
      return fromAlphabet(HEX, 8, random);
    default:
      return undefined;
  }
}

/** Words joined by spaces, cut or padded to a length in [min, max]. */
function sized(min: number, max: number, random: () => number): string {
  const target = Math.min(max, min + Math.floor(random() * (Math.min(max - min, 24) + 1)));
  let text = words(2 + Math.floor(random() * 4), random).join(' ');
  while (text.length < target) text += ` ${pick(WORDS, random)}`;
  text = text.slice(0, target);
  // A trailing space reads badly and some schemas trim: end on a letter.
  return text.endsWith(' ') ? `${text.slice(0, -1)}x` : text;
}

export interface StringSchema {
  minLength?: number;
  maxLength?: number;
  format?: string;
  pattern?: string;
}

/** A string valid for the schema's format, length and pattern, as far as they can be met together. */
export function synthesizeString(schema: StringSchema, random: () => number): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const regex = typeof schema.pattern === 'string' ? compilePattern(schema.pattern) : undefined;
  const fits = (s: string) => s.length >= min && s.length <= max && (regex === undefined || regex.test(s));
  if (typeof schema.format === 'string') {
    const value = formatted(schema.format, random);
    if (value !== undefined && fits(value)) return value;
  }
  const plain =
    min === 0 && max === Infinity ? words(1 + Math.floor(random() * 4), random).join(' ') : sized(min, Math.max(min, max), random);
  if (typeof schema.pattern !== 'string' || fits(plain)) return plain;
  return stringForPattern(schema.pattern, random, (s) => s.length >= min && s.length <= max) ?? plain;
}
