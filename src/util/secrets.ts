// Secrets in connection URLs, and in any text that quotes one: the one scrubber every message, log and run file uses.

/** What a hidden secret is shown as. */
export const secretMask = '***';

/**
 * A query parameter that carries a secret: PostgreSQL's `password` and `sslpassword`, and anything named like a key, a
 * token or a secret (`api_key`, `access_token`, `client_secret`…), in any case. Names are read the WHATWG way
 * (`%70assword` and `pass+word` are decoded first), as the server that receives them would.
 */
export function isSecretParam(name: string): boolean {
  const decoded = [...new URLSearchParams(`${name}=`).keys()][0] ?? name;
  const lower = decoded.toLowerCase();
  return lower.includes('password') || lower.includes('key') || lower.includes('token') || lower.includes('secret');
}

/** A range of a string to hide, [start, end). */
interface Span {
  start: number;
  end: number;
  /** The userinfo and its `@`, which the `drop` form removes rather than masks. */
  userinfo?: boolean;
}

/**
 * Where the secrets of one URL-like value are. WHATWG `URL` ends the userinfo at the first `/`, `?` or `#`, so a
 * password holding one (`http://admin:s3cr/et@gpu2`) parses as a host `admin`, a port `s3cr` and a path `/et@gpu2`,
 * and whatever shows that URL shows half the password. Here the userinfo runs from the scheme to the LAST `@` of the
 * value instead: a password may hold any character, and the price is that an `@` in a path hides the path before it.
 * A secret query parameter hides its value up to the next `&` (a `#` in it is taken as part of the value). Where the
 * two readings overlap (a password that looks like `?key=…`), both are hidden.
 */
function secretSpans(value: string, authority: number, to: number): Span[] {
  const spans: Span[] = [];
  // Searched within the URL only: a search back through the whole text would make a long message cost O(n) per URL.
  let at = to - 1;
  while (at >= authority && value.charCodeAt(at) !== 0x40) at--;
  if (at >= authority) spans.push({ start: authority, end: at + 1, userinfo: true });
  for (let i = authority; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x3f && c !== 0x26 && c !== 0x3b) continue; // ? & ;
    let equals = i + 1;
    while (equals < to && !'=?&;#'.includes(value[equals] ?? '')) equals++;
    if (value[equals] !== '=' || !isSecretParam(value.slice(i + 1, equals))) continue;
    let end = equals + 1;
    while (end < to && value.charCodeAt(end) !== 0x26) end++;
    if (end > equals + 1) spans.push({ start: equals + 1, end });
  }
  return spans;
}

/** Where the authority of a URL-like value starts: after `scheme://` or `//`, else at its start (`user:pw@host`). */
function authorityOf(value: string): number {
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(value);
  return scheme ? scheme[0].length : value.startsWith('//') ? 2 : 0;
}

/**
 * `value[from, to)` with `spans` hidden: overlapping spans merge into one `***`. A hidden userinfo keeps its `@`, so a
 * person still sees that credentials were given and where the host begins; `drop` removes a lone userinfo instead.
 */
function hide(value: string, from: number, to: number, spans: Span[], userinfo: 'mask' | 'drop'): string {
  spans.sort((a, b) => a.start - b.start);
  let out = '';
  let shown = from;
  let i = 0;
  while (i < spans.length) {
    const group = spans[i] as Span;
    let end = group.end;
    let alone = true;
    for (i++; i < spans.length && (spans[i] as Span).start <= end; i++) {
      end = Math.max(end, (spans[i] as Span).end);
      alone = false;
    }
    out += value.slice(shown, group.start);
    if (group.userinfo && alone && userinfo === 'drop') out += '';
    else out += value[end - 1] === '@' ? `${secretMask}@` : secretMask;
    shown = end;
  }
  return out + value.slice(shown, to);
}

/**
 * A host, store or queue URL as it may be shown or stored: the userinfo (of any characters, `/`, `#`, `?`, `@`, `:`,
 * `%` included) replaced by `***`, and the values of secret query parameters too. Works on values no parser accepts
 * (`http://exa mple::`, a bare `user:pw@host:port`), because an error about a bad value must not leak it either.
 *
 * @example
 * scrubUrl('postgres://app:s3cr/et@db:5432/runs?sslpassword=x') // 'postgres://***@db:5432/runs?sslpassword=***'
 */
export function scrubUrl(value: string): string {
  return hide(value, 0, value.length, secretSpans(value, authorityOf(value), value.length), 'mask');
}

/**
 * The URL without its credentials at all (`http://gpu2:11434`), for what identifies a host: the address journaled
 * with a call, the name a host set lists. Secret query parameters are masked as in `scrubUrl`.
 */
export function withoutCredentials(value: string): string {
  return hide(value, 0, value.length, secretSpans(value, authorityOf(value), value.length), 'drop');
}

// Where a URL quoted in free text ends: white space, quotes, angle brackets, a backslash (a JSON escape). A comma does
// not end it: a password may hold one, and cutting there would show the rest of it.
const urlEnd = /[\s"'`<>\\]/g;

const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
/** Letters, digits, `+`, `-`, `.`: what a scheme is made of. */
const isSchemeChar = (c: number) => isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;

/**
 * Free text (an error message, a log line, an API answer) with every `scheme://…` URL in it scrubbed as by `scrubUrl`.
 * A URL runs to the next white space, quote or angle bracket: a password holding one of those must be percent-encoded
 * to be safe here (it must be in a URL anyway). Text without `://` comes back unchanged. One pass over the text:
 * `://` is found by indexOf and the scheme read backwards from it.
 */
export function scrubText(text: string): string {
  let sep = text.indexOf('://');
  if (sep < 0) return text;
  let out = '';
  let done = 0;
  while (sep >= 0) {
    let start = sep;
    while (start > done && isSchemeChar(text.charCodeAt(start - 1))) start--;
    while (start < sep && !isLetter(text.charCodeAt(start))) start++;
    if (start === sep) {
      sep = text.indexOf('://', sep + 3); // no scheme before it: not a URL
      continue;
    }
    urlEnd.lastIndex = sep + 3;
    const end = urlEnd.exec(text)?.index ?? text.length;
    const spans = secretSpans(text, sep + 3, end);
    if (spans.length > 0) {
      // A URL with nothing to hide is left in place, copied with the text around it.
      out += text.slice(done, start) + hide(text, start, end, spans, 'mask');
      done = end;
    }
    sep = text.indexOf('://', end);
  }
  return out + text.slice(done);
}
