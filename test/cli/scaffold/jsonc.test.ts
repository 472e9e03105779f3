// tsconfig.json as tsc --init writes it: comments and trailing commas read, and keys added without losing them.
import { describe, expect, it } from 'vitest';
import { addToObject, parseJsonc } from '../../../src/cli/scaffold/jsonc.ts';

const written = `{
  // Visit https://aka.ms/tsconfig to read more
  "compilerOptions": {
    /* Language */
    "target": "esnext", // the newest
    "strict": true,
  },
  "include": ["src/**/*", "a // not a comment"],
}
`;

describe('tsconfig text with comments', () => {
  it('parses comments and trailing commas, and leaves // inside strings alone', () => {
    expect(parseJsonc(written)).toEqual({ compilerOptions: { target: 'esnext', strict: true }, include: ['src/**/*', 'a // not a comment'] });
  });

  it('adds keys to compilerOptions, keeping every comment and the rest of the text', () => {
    const text = addToObject(written, 'compilerOptions', { module: 'NodeNext' });
    expect(parseJsonc(text)).toEqual({ compilerOptions: { module: 'NodeNext', target: 'esnext', strict: true }, include: ['src/**/*', 'a // not a comment'] });
    expect(text).toContain('/* Language */');
    expect(text).toContain('// the newest');
    expect(text.replace('\n    "module": "NodeNext",', '')).toBe(written);
  });

  it('creates compilerOptions when there is none, also in an empty object', () => {
    expect(parseJsonc(addToObject('{ "include": ["src"] }', 'compilerOptions', { module: 'NodeNext' }))).toEqual({ compilerOptions: { module: 'NodeNext' }, include: ['src'] });
    expect(parseJsonc(addToObject('{}', 'compilerOptions', { module: 'NodeNext' }))).toEqual({ compilerOptions: { module: 'NodeNext' } });
    expect(parseJsonc(addToObject('{ "compilerOptions": {} }', 'compilerOptions', { module: 'NodeNext' }))).toEqual({ compilerOptions: { module: 'NodeNext' } });
  });
});
