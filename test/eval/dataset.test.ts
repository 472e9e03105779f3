// Datasets: JSONL, a JSON array and CSV read into cases; every mistake is one EvalInputError naming its place.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EvalInputError, readDataset } from '../../src/eval/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refusal(path: string): string {
  try {
    readDataset(path);
  } catch (error) {
    expect(error).toBeInstanceOf(EvalInputError);
    return (error as Error).message;
  }
  throw new Error(`${path} was accepted`);
}

describe('JSONL', () => {
  it('reads a case per line: ids default to case-<n>, status to done, assertions compiled, blank lines skipped', () => {
    const dataset = readDataset(file('a.jsonl', [
      '{"input":{"text":"one"},"expected":{"total":1}}',
      '',
      '{"id":"two","input":{"text":"two"},"status":"flagged","assert":[{"type":"contains","path":"text","value":"t"}]}',
    ].join('\n')));
    expect(dataset.cases.map((c) => [c.id, c.status, c.assert.length, c.source])).toEqual([['case-1', 'done', 0, 'a.jsonl:1'], ['two', 'flagged', 1, 'a.jsonl:3']]);
    expect(dataset.cases[0]?.expected).toEqual({ total: 1 });
    expect(dataset.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the line of a malformed case', () => {
    expect(refusal(file('b.jsonl', '{"input":{}}\n{"input": {oops}}\n'))).toMatch(/^b\.jsonl:2: not valid JSON/);
    expect(refusal(file('c.jsonl', '{"input":{}}\n{"inputs":{}}\n'))).toBe('c.jsonl:2: unknown key "inputs" (a case has: id, input, expected, status, assert)');
    expect(refusal(file('d.jsonl', '{"expected":{}}\n'))).toBe('d.jsonl:1: a case needs an "input" (what the workflow is run with)');
    expect(refusal(file('e.jsonl', '{"id":"a b","input":{}}\n'))).toMatch(/^e\.jsonl:1: case id "a b" must be/);
    expect(refusal(file('f.jsonl', '{"input":{},"status":"maybe"}\n'))).toBe('f.jsonl:1: "status" must be "done" or "flagged", got "maybe"');
    expect(refusal(file('g.jsonl', '{"input":{},"assert":[{"type":"same"}]}\n'))).toBe('g.jsonl:1: assert[0]: unknown assertion type "same" (one of: equals, contains, matches, near)');
    expect(refusal(file('h.jsonl', '{"id":"x","input":{}}\n{"id":"x","input":{}}\n'))).toBe('h.jsonl:2: case id "x" is used twice (first at h.jsonl:1)');
  });
});

describe('JSON', () => {
  it('reads an array of cases and names a bad element by its place', () => {
    expect(readDataset(file('a.json', '[{"input":{"a":1}},{"id":"b","input":{"a":2}}]')).cases.map((c) => c.id)).toEqual(['case-1', 'b']);
    expect(refusal(file('b.json', '{"input":{}}'))).toBe('b.json: a JSON dataset is an array of cases, got {"input":{}}');
    expect(refusal(file('c.json', '[{"input":{}}, 3]'))).toBe('c.json: case 2: a case must be an object like {"input": {…}, "expected": {…}}, got 3');
  });
});

describe('CSV', () => {
  it('maps columns to input and expected fields, converting typed columns, with quoted fields over several lines', () => {
    const dataset = readDataset(file('a.csv', [
      'id,text,expected.invoice.total:number,expected.invoice.currency,status',
      'inv-1,"Invoice 1, ""ACME""',
      'total 10",10.5,EUR,',
      'inv-2,not an invoice,,,flagged',
    ].join('\r\n')));
    expect(dataset.cases).toHaveLength(2);
    expect(dataset.cases[0]).toMatchObject({ id: 'inv-1', input: { text: 'Invoice 1, "ACME"\r\ntotal 10' }, expected: { invoice: { total: 10.5, currency: 'EUR' } }, status: 'done', source: 'a.csv:2' });
    expect(dataset.cases[1]).toMatchObject({ id: 'inv-2', input: { text: 'not an invoice' }, status: 'flagged', source: 'a.csv:4' });
    expect(dataset.cases[1]?.expected).toBeUndefined();
  });

  it('takes whole JSON input and expected columns, and assertions as a JSON array', () => {
    const dataset = readDataset(file('b.csv', 'input,expected,assert\n"{""a"":1}","{""sum"":2}","[{""type"":""near"",""path"":""sum"",""tolerance"":0.5}]"\n'));
    expect(dataset.cases[0]).toMatchObject({ input: { a: 1 }, expected: { sum: 2 } });
    expect(dataset.cases[0]?.assert.map((a) => a.name)).toEqual(['near sum ±0.5']);
  });

  it('names the line of a malformed row', () => {
    expect(refusal(file('c.csv', 'a,b\n1,2\n3\n'))).toBe('c.csv:3: 1 field(s), the header has 2');
    expect(refusal(file('d.csv', 'a,b\n1,"open\n'))).toBe('d.csv:2: a quoted field is never closed');
    expect(refusal(file('e.csv', 'a,n:number\n1,many\n'))).toBe('e.csv:2: column "n:number": "many" is not a number');
    expect(refusal(file('f.csv', 'a:date\n1\n'))).toBe("f.csv:1: column \"a:date\": the type after ':' must be number, json, boolean or string");
    expect(refusal(file('g.csv', 'a,b\n1,"x"y\n'))).toBe('g.csv:2: text after a closing quote (a quote inside a field is written "")');
  });
});

it('refuses a missing file, an unknown format and an empty dataset', () => {
  expect(refusal(join(dir, 'nope.jsonl'))).toBe(`dataset not found: ${join(dir, 'nope.jsonl')}`);
  expect(refusal(file('a.txt', 'x'))).toBe('dataset a.txt: unknown format ".txt" (use .jsonl, .json or .csv)');
  expect(refusal(file('empty.jsonl', '\n\n'))).toBe('dataset empty.jsonl has no cases');
});
