import { describe, it, expect } from 'vitest';
import { resolveHost, defaultHost, displayHost, hostAuth } from '../../src/llm/host.ts';
import { ConfigError } from '../../src/llm/errors.ts';

describe('resolveHost (Ollama envconfig.Host rules)', () => {
  const table: [string, string][] = [
    ['', 'http://127.0.0.1:11434'],
    ['   ', 'http://127.0.0.1:11434'],
    ['localhost', 'http://localhost:11434'],
    ['example.com', 'http://example.com:11434'],
    ['example.com:1234', 'http://example.com:1234'],
    [':1234', 'http://127.0.0.1:1234'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:8080', 'http://127.0.0.1:8080'],
    ['10.0.0.5', 'http://10.0.0.5:11434'],
    ['[::1]:1234', 'http://[::1]:1234'],
    ['[::1]', 'http://[::1]:11434'],
    ['::1', 'http://[::1]:11434'],
    ['http://example.com', 'http://example.com:80'],
    ['https://example.com', 'https://example.com:443'],
    ['http://example.com:1234', 'http://example.com:1234'],
    ['https://example.com:8443/ollama/', 'https://example.com:8443/ollama'],
    ['example.com/path', 'http://example.com:11434/path'],
    ['http://[::1]:1234', 'http://[::1]:1234'],
    ['"0.0.0.0:11435"', 'http://127.0.0.1:11435'],
    ["'example.com'", 'http://example.com:11434'],
    ['HTTP://Example.COM:99', 'http://example.com:99'],
  ];

  it.each(table)('OLLAMA_HOST=%j → %s', (value, expected) => {
    expect(resolveHost(undefined, { OLLAMA_HOST: value })).toBe(expected);
  });

  it('defaults when OLLAMA_HOST is unset', () => {
    expect(resolveHost(undefined, {})).toBe(defaultHost);
    expect(defaultHost).toBe('http://127.0.0.1:11434');
  });

  it('lets an explicit host win over the environment', () => {
    expect(resolveHost('other:1', { OLLAMA_HOST: 'example.com:2' })).toBe('http://other:1');
  });

  it.each(['ftp://example.com', 'example.com:99999', 'example.com:abc', 'exa mple.com', 'http://:pw@host'])(
    'rejects %j with a ConfigError',
    (value) => {
      expect(() => resolveHost(value, {})).toThrow(ConfigError);
      expect(() => resolveHost(value, {})).toThrow(/host/);
    },
  );

  it('names OLLAMA_HOST when the bad value came from the environment', () => {
    expect(() => resolveHost(undefined, { OLLAMA_HOST: 'gopher://x' })).toThrow(/OLLAMA_HOST "gopher:\/\/x"/);
  });
});

describe('hosts with credentials', () => {
  it.each([
    ['http://user:pw@host', 'http://user:pw@host:80', 'http://host:80', 'user:pw'],
    ['user:pw@host:1234', 'http://user:pw@host:1234', 'http://host:1234', 'user:pw'],
    ['https://u:p%40ss@h/ollama', 'https://u:p%40ss@h:443/ollama', 'https://h:443/ollama', 'u:p@ss'],
    ['http://u:p@ss@h:1', 'http://u:p%40ss@h:1', 'http://h:1', 'u:p@ss'],
    ['http://u@h:1', 'http://u@h:1', 'http://h:1', 'u:'],
  ])('%j resolves to %s, is shown as %s and authenticates as %s', (raw, resolved, shown, pair) => {
    expect(resolveHost(raw, {})).toBe(resolved);
    expect(displayHost(resolveHost(raw, {}))).toBe(shown);
    expect(hostAuth(resolved)).toEqual({ base: shown, authorization: `Basic ${Buffer.from(pair).toString('base64')}` });
  });

  it('leaves a host without credentials alone, and reads up to the last @ as credentials', () => {
    expect(displayHost('http://h:1/p')).toBe('http://h:1/p');
    // A password may hold `/`: what comes before the last `@` is never shown, even where it could have been a path.
    expect(displayHost('http://h:1/p@x')).toBe('http://x');
    expect(hostAuth('http://h:1')).toEqual({ base: 'http://h:1' });
  });

  it('never repeats the password in an error about the host', () => {
    for (const raw of ['ftp://u:secret@h', 'http://u:secret@h:99999', 'u:sec@ret@h:abc']) {
      const err = (() => { try { resolveHost(raw, {}); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(ConfigError);
      expect(String(err)).not.toMatch(/secret|sec@ret/);
    }
  });
});
