import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { synthesize } from '../../src/testing/index.ts';
import { violate } from '../../src/testing/simulator/schema.ts';
import { stringForPattern } from '../../src/testing/simulator/pattern.ts';
import { createRandom } from '../../src/util/random.ts';

const Tree: z.ZodType<{ name: string; children?: { name: string }[] }> = z.object({
  name: z.string(),
  get children() {
    return z.array(Tree).optional();
  },
});

const Address = z.object({ street: z.string().min(3), zip: z.string().regex(/^\d{5}$/) });

const schemas: Record<string, z.ZodType> = {
  primitives: z.object({
    name: z.string().min(2).max(10),
    age: z.number().int().min(0).max(120),
    score: z.number().positive().lt(1),
    ratio: z.number().gt(-1).lte(0),
    even: z.number().int().multipleOf(2).min(10).max(20),
    step: z.number().multipleOf(0.25),
    flag: z.boolean(),
    exact: z.string().length(5),
    big: z.int(),
    unsigned: z.uint32(),
  }),
  formats: z.object({
    email: z.email(),
    id: z.uuid(),
    v4: z.uuidv4(),
    url: z.url(),
    when: z.iso.datetime(),
    day: z.iso.date(),
    time: z.iso.time(),
    ip: z.ipv4(),
    ip6: z.ipv6(),
    nano: z.nanoid(),
    cuid: z.cuid(),
    cuid2: z.cuid2(),
    ulid: z.ulid(),
    b64: z.base64(),
    phone: z.e164(),
    hex: z.hex(),
    dur: z.iso.duration(),
    emoji: z.emoji(),
    jwt: z.jwt(),
  }),
  strings: z.object({
    starts: z.string().startsWith('ab'),
    ends: z.string().endsWith('yz'),
    has: z.string().includes('mid'),
    lower: z.string().lowercase(),
    upper: z.string().uppercase(),
    code: z.string().regex(/^[A-Z]{3}-\d{2,4}$/),
    tpl: z.templateLiteral(['id-', z.number()]),
  }),
  collections: z.object({
    tags: z.array(z.string()).min(1).max(3),
    pair: z.tuple([z.string(), z.number()]),
    rest: z.tuple([z.string()], z.number()),
    record: z.record(z.string(), z.number()),
    keyed: z.record(z.enum(['k1', 'k2']), z.boolean()),
    partial: z.partialRecord(z.enum(['a', 'b']), z.number()),
    longKeys: z.record(z.string().min(3), z.string()),
    nonempty: z.array(z.number()).nonempty(),
    fixed: z.array(z.number()).length(2),
  }),
  choices: z.object({
    kind: z.enum(['a', 'b', 'c']),
    lit: z.literal('x'),
    either: z.union([z.string(), z.number()]),
    maybe: z.string().nullable(),
    opt: z.string().optional(),
    obj: z.object({ a: z.string() }).nullable(),
    def: z.number().default(3),
  }),
  discriminated: z.discriminatedUnion('type', [
    z.object({ type: z.literal('a'), x: z.number() }),
    z.object({ type: z.literal('b'), y: z.string() }),
  ]),
  recursive: Tree,
  intersection: z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })),
  strict: z.strictObject({ a: z.string(), nested: z.strictObject({ b: z.boolean() }) }),
  loose: z.looseObject({ a: z.string() }),
  reused: z.object({ home: Address, work: Address.optional(), list: z.array(Address).max(2) }),
  topArray: z.array(z.object({ id: z.number().int(), label: z.string() })).min(2),
  topString: z.enum(['yes', 'no']),
};

describe('synthesize: instances valid for zod schemas (via z.toJSONSchema)', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: 40 seeds all pass safeParse`, () => {
      const json = z.toJSONSchema(schema, { io: 'input' });
      for (let seed = 1; seed <= 40; seed++) {
        const value = JSON.parse(JSON.stringify(synthesize(json, createRandom(seed))));
        const result = schema.safeParse(value);
        if (!result.success) throw new Error(`seed ${seed}: ${JSON.stringify(value)}\n${result.error.message}`);
      }
    });
  }

  it('works with the output-side JSON Schema too (defaults required)', () => {
    const schema = schemas.choices as z.ZodType;
    const value = synthesize(z.toJSONSchema(schema), createRandom(3));
    expect(schema.safeParse(value).success).toBe(true);
  });

  it('resolves $defs from a registry-style schema', () => {
    const json = {
      type: 'object',
      properties: { user: { $ref: '#/$defs/User' }, users: { type: 'array', items: { $ref: '#/$defs/User' } } },
      required: ['user', 'users'],
      $defs: { User: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } },
    };
    const value = synthesize(json, createRandom(9)) as { user: { id: number }; users: { id: number }[] };
    expect(Number.isInteger(value.user.id) && value.user.id >= 1).toBe(true);
    expect(value.users.every((u) => Number.isInteger(u.id) && u.id >= 1)).toBe(true);
  });

  it('is deterministic for a seed and varies across seeds', () => {
    const json = z.toJSONSchema(schemas.primitives as z.ZodType);
    expect(synthesize(json, createRandom(5))).toEqual(synthesize(json, createRandom(5)));
    const distinct = new Set(Array.from({ length: 10 }, (_, i) => JSON.stringify(synthesize(json, createRandom(i)))));
    expect(distinct.size).toBeGreaterThan(5);
  });
});

describe('violate: valid JSON that breaks the schema', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: the violation fails safeParse`, () => {
      const json = z.toJSONSchema(schema, { io: 'input' });
      const valid = synthesize(json, createRandom(7));
      const wrong = violate(json, valid);
      expect(wrong).not.toBeUndefined();
      expect(schema.safeParse(JSON.parse(JSON.stringify(wrong))).success).toBe(false);
    });
  }

  it('drops a required property first, the commonest real failure', () => {
    const json = z.toJSONSchema(z.object({ name: z.string(), age: z.number() }));
    expect(violate(json, { name: 'a', age: 1 })).toEqual({ age: 1 });
  });

  it('gives up (undefined) for a schema that accepts anything', () => {
    expect(violate({}, 'x')).toBeUndefined();
  });
});

describe('stringForPattern', () => {
  it.each([
    '^[A-Z]{3}-\\d{2,4}$',
    '^(?:foo|bar)+baz?$',
    '^[^a-z]*$',
    '\\w+@\\w+\\.com',
    '^#[0-9a-fA-F]{6}$',
  ])('%s', (pattern) => {
    const random = createRandom(4);
    const value = stringForPattern(pattern, random);
    expect(value).toBeDefined();
    expect(new RegExp(pattern, 'u').test(value as string)).toBe(true);
  });

  it('returns undefined for syntax it cannot generate', () => {
    expect(stringForPattern('^\\p{Lu}+$', createRandom(1))).toBeUndefined();
  });
});
