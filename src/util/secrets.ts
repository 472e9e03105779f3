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
function secretSpans(value: string, from: number, to: number): Span[] {
  const spans: Span[] = [];
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(value.slice(from, to));
  const authority = from + (scheme ? scheme[0].length : value.startsWith('//', from) ? 2 : 0);
  const at = value.lastIndexOf('@', to - 1);
  if (at >= authority) spans.push({ start: authority, end: at + 1, userinfo: true });
  for (let i = authority; i < to; i++) {
    const c = value[i];
    if (c !== '?' && c !== '&' && c !== ';') continue;
    let equals = i + 1;
    while (equals < to && !'=?&;#'.includes(value[equals] ?? '')) equals++;
    if (value[equals] !== '=' || !isSecretParam(value.slice(i + 1, equals))) continue;
    let end = equals + 1;
    while (end < to && value[end] !== '&') end++;
    if (end > equals + 1) spans.push({ start: equals + 1, end });
  }
  return spans;
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
  return hide(value, 0, value.length, secretSpans(value, 0, value.length), 'mask');
}

/**
 * The URL without its credentials at all (`http://gpu2:11434`), for what identifies a host: the address journaled
 * with a call, the name a host set lists. Secret query parameters are masked as in `scrubUrl`.
 */
export function withoutCredentials(value: string): string {
  return hide(value, 0, value.length, secretSpans(value, 0, value.length), 'drop');
}

// Where a URL quoted in free text ends: white space, quotes, angle brackets, a backslash (a JSON escape). A comma does
// not end it: a password may hold one, and cutting there would show the rest of it.
const urlStart = /[a-zA-Z][a-zA-Z0-9+.-]*:\/\//g;
const urlEnd = /[\s"'`<>\\]/;

/**
 * Free text (an error message, a log line) with every `scheme://…` URL in it scrubbed as by `scrubUrl`. A URL runs to
 * the next white space, quote or angle bracket: a password holding one of those must be percent-encoded to be safe
 * here (it must be in a URL anyway). Text without `://` comes back unchanged.
 */
export function scrubText(text: string): string {
  if (!text.includes('://')) return text;
  let out = '';
  let done = 0;
  urlStart.lastIndex = 0;
  for (let match = urlStart.exec(text); match !== null; match = urlStart.exec(text)) {
    const start = match.index;
    let end = start + match[0].length;
    while (end < text.length && !urlEnd.test(text[end] ?? '')) end++;
    out += text.slice(done, start) + hide(text, start, end, secretSpans(text, start, end), 'mask');
    done = end;
    urlStart.lastIndex = end;
  }
  return out + text.slice(done);
}
