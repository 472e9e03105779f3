import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/util/random.ts';
import { isSecretParam, scrubText, scrubUrl, withoutCredentials } from '../../src/util/secrets.ts';

/** Characters a password may hold in a URL a person typed: the URL delimiters, `%`, and non-ASCII. */
const alphabet = [...'abcXYZ019/#?@:%!$&()*+;=~-._', 'é', 'ß', '密', '🔑'];

/** A seeded password of 1–16 characters drawn from `chars` (a failure reproduces from the seed in its message). */
export function randomPassword(random: () => number, chars: readonly string[] = alphabet): string {
  const length = 1 + Math.floor(random() * 16);
  return Array.from({ length }, () => chars[Math.floor(random() * chars.length)] ?? 'x').join('');
}

describe('scrubUrl', () => {
  it('hides userinfo of any characters, and secret query parameters', () => {
    expect(scrubUrl('http://admin:s3cr/et@gpu2:11434')).toBe('http://***@gpu2:11434');
    expect(scrubUrl('http://admin:a?b#c@d@gpu2')).toBe('http://***@gpu2');
    expect(scrubUrl('postgres://app:pw@db:5432/runs?sslpassword=x&schema=s')).toBe('postgres://***@db:5432/runs?sslpassword=***&schema=s');
    expect(scrubUrl('redis://h:6379?prefix=p&API_KEY=k&access_token=t&Password=p')).toBe('redis://h:6379?prefix=p&API_KEY=***&access_token=***&Password=***');
    // Names are read as a server reads them: percent-encoded and `+` forms are the same parameter.
    expect(scrubUrl('postgres://db/x?%70assword=x')).toBe('postgres://db/x?%70assword=***');
    // A bare OLLAMA_HOST form and a value no parser accepts are scrubbed all the same.
    expect(scrubUrl('user:pw@h:1')).toBe('***@h:1');
    expect(scrubUrl('http://u:p@exa mple::')).toBe('http://***@exa mple::');
    expect(scrubUrl('http://exa mple::')).toBe('http://exa mple::');
    expect(scrubUrl('gpu1:11434*4')).toBe('gpu1:11434*4');
  });

  it('leaves nothing of a password that looks like a query itself', () => {
    expect(scrubUrl('http://admin:a?key=b@c@gpu2:11434')).toBe('http://***');
    expect(scrubUrl('postgres://db/x?password=a@b')).toBe('postgres://***');
  });

  it('drops credentials altogether where the URL names a host', () => {
    expect(withoutCredentials('http://admin:s3cr/et@gpu2:11434')).toBe('http://gpu2:11434');
    expect(withoutCredentials('http://gpu2:11434')).toBe('http://gpu2:11434');
  });

  it('never shows a random password, and agrees with WHATWG URL on well-formed URLs', () => {
    const random = createRandom(15);
    for (let i = 0; i < 2000; i++) {
      const pw = randomPassword(random);
      const typed = `http://admin:${pw}@gpu2:11434`;
      expect(['http://***@gpu2:11434', 'http://***'], `${JSON.stringify(pw)} (case ${i})`).toContain(scrubUrl(typed));
      const store = `postgres://u@db/runs?sslpassword=${pw.replaceAll('&', '%26')}&schema=x`;
      // A password holding `@` makes the userinfo reach into the query: then all of it up to the next `&` is hidden.
      expect(scrubUrl(store), `${JSON.stringify(pw)} (case ${i})`).toMatch(/^postgres:\/\/\*\*\*(@db\/runs\?sslpassword=\*\*\*|@?)&schema=x$/);
      const url = new URL('http://gpu2:11434/');
      url.username = 'admin';
      url.password = pw;
      expect(scrubUrl(url.href)).toBe('http://***@gpu2:11434/');
      expect(withoutCredentials(url.href)).toBe(`${url.protocol}//${url.host}${url.pathname}`);
    }
  });
});

describe('scrubText', () => {
  it('scrubs every URL in a message, quoted or not, and leaves the rest alone', () => {
    const text = 'OLLAMA_HOST "http://admin:s3cr/et@gpu2:11434" refused; also postgres://u:p@h/db, http://x:1 and (http://u:q@z:1)';
    expect(scrubText(text)).toBe('OLLAMA_HOST "http://***@gpu2:11434" refused; also postgres://***@h/db, http://x:1 and (http://***@z:1)');
    expect(scrubText('no URL here: a@b, c:d')).toBe('no URL here: a@b, c:d');
    expect(scrubText(JSON.stringify({ host: 'http://a:b@h:1', next: 'x' }))).toBe('{"host":"http://***@h:1","next":"x"}');
  });

  it('never shows a random password quoted in free text', () => {
    const random = createRandom(16);
    for (let i = 0; i < 2000; i++) {
      const pw = randomPassword(random);
      const text = `cannot reach http://admin:${pw}@gpu2:11434: refused (try "http://admin:${pw}@gpu3:1")`;
      // Exactly the text around the URLs, and of each URL at most its host: nothing of the password in any form.
      expect(scrubText(text), `${JSON.stringify(pw)} (case ${i})`).toMatch(/^cannot reach http:\/\/\*\*\*(@gpu2:11434)?: refused \(try "http:\/\/\*\*\*(@gpu3:1)?"\)$/);
    }
  });
});

describe('isSecretParam', () => {
  it('knows passwords, keys, tokens and secrets by name, in any case', () => {
    for (const name of ['password', 'sslpassword', 'SSLPASSWORD', 'api_key', 'sslkey', 'token', 'accessToken', 'client_secret']) expect(isSecretParam(name), name).toBe(true);
    for (const name of ['schema', 'prefix', 'sslmode', 'user', 'host']) expect(isSecretParam(name), name).toBe(false);
  });
});
