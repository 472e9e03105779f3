// Datasets: JSONL (a case per line), a JSON array of cases, or CSV (a case per row); every mistake named with its place.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { assertionFromJson, shown } from './assertions.ts';
import { CsvError, parseCsv } from './csv.ts';
import { EvalInputError } from './errors.ts';
import type { Assertion, EvalCase, ExpectedStatus } from './types.ts';

export interface Dataset {
  /** The file as given (absolute). */
  file: string;
  /** sha256 of its bytes: an eval resumed on a changed dataset is refused. */
  hash: string;
  cases: EvalCase[];
}

const caseId = /^[A-Za-z0-9_-]{1,39}$/;
const caseKeys = new Set(['id', 'input', 'expected', 'status', 'assert']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A case from its JSON: `{ input, expected?, status?, assert?, id? }`; `n` is its 1-based place in the dataset. */
export function caseFromJson(json: unknown, n: number, where: string): EvalCase {
  const bad = (why: string): never => {
    throw new EvalInputError(`${where}: ${why}`);
  };
  if (!isRecord(json)) return bad(`a case must be an object like {"input": {…}, "expected": {…}}, got ${shown(json)}`);
  const unknown = Object.keys(json).filter((key) => !caseKeys.has(key));
  if (unknown.length > 0) bad(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (a case has: ${[...caseKeys].join(', ')})`);
  if (!('input' in json)) bad('a case needs an "input" (what the workflow is run with)');
  const id = json.id ?? `case-${n}`;
  if (typeof id !== 'string' || !caseId.test(id)) bad(`case id ${shown(id)} must be 1-39 letters, digits, '_' or '-'`);
  const status = json.status ?? 'done';
  if (status !== 'done' && status !== 'flagged') bad(`"status" must be "done" or "flagged", got ${shown(status)}`);
  const raw = json.assert ?? [];
  if (!Array.isArray(raw)) bad(`"assert" must be an array of assertions, got ${shown(raw)}`);
  const assertions: Assertion[] = (Array.isArray(raw) ? raw : []).map((item, i) => assertionFromJson(item, `${where}: assert[${i}]`));
  return {
    id: String(id),
    input: json.input,
    ...(json.expected === undefined ? {} : { expected: json.expected }),
    status: status === 'flagged' ? 'flagged' : ('done' satisfies ExpectedStatus),
    assert: assertions,
    source: where,
  };
}

function jsonl(text: string, name: string): EvalCase[] {
  const cases: EvalCase[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${name}:${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new EvalInputError(`${where}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    cases.push(caseFromJson(json, cases.length + 1, where));
  });
  return cases;
}

function jsonArray(text: string, name: string): EvalCase[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EvalInputError(`${name}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(json)) throw new EvalInputError(`${name}: a JSON dataset is an array of cases, got ${shown(json)}`);
  return json.map((item, i) => caseFromJson(item, i + 1, `${name}: case ${i + 1}`));
}

/** Sets `value` at a dotted path inside `target`, making objects on the way. */
function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    const child = isRecord(next) ? next : {};
    node[key] = child;
    node = child;
  });
}

interface Column {
  header: string;
  /** `id`, `status`, `assert`, or where the cell goes: `input`/`expected` and the path below it. */
  role: 'id' | 'status' | 'assert' | 'input' | 'expected';
  path: string[];
  convert: 'string' | 'number' | 'json' | 'boolean';
}

function columnOf(header: string, where: string): Column {
  const [name = '', suffix] = header.trim().split(':');
  const convert = suffix === undefined ? 'string' : suffix;
  if (convert !== 'string' && convert !== 'number' && convert !== 'json' && convert !== 'boolean') {
    throw new EvalInputError(`${where}: column "${header}": the type after ':' must be number, json, boolean or string`);
  }
  if (name === 'id' || name === 'status') return { header, role: name, path: [], convert: 'string' };
  if (name === 'assert') return { header, role: 'assert', path: [], convert: 'json' };
  const parts = name.split('.');
  if (parts.some((part) => part === '')) throw new EvalInputError(`${where}: column "${header}" has an empty name part`);
  const [head, ...rest] = parts;
  if (head === 'input' || head === 'expected') return { header, role: head, path: rest, convert: rest.length === 0 && suffix === undefined ? 'json' : convert };
  return { header, role: 'input', path: parts, convert };
}

function cellValue(cell: string, column: Column, where: string): unknown {
  const bad = (what: string) => new EvalInputError(`${where}: column "${column.header}": ${shown(cell)} is not ${what}`);
  switch (column.convert) {
    case 'number': {
      const n = Number(cell);
      if (cell.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      return n;
    }
    case 'boolean':
      if (cell !== 'true' && cell !== 'false') throw bad('true or false');
      return cell === 'true';
    case 'json':
      try {
        return JSON.parse(cell);
      } catch {
        throw bad('valid JSON');
      }
    default:
      return cell;
  }
}

/**
 * A case per row under a header. Columns: `id`, `status`, `assert` (a JSON array), `input` / `expected` (JSON), and
 * `input.<path>` / `expected.<path>` (a plain name is an input field); `:number`, `:boolean` or `:json` after a name
 * converts the cell, which is text otherwise. An empty `expected` cell expects nothing there.
 */
function csv(text: string, name: string): EvalCase[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw new EvalInputError(`${name}:${error.line}: ${error.message}`);
    throw error;
  }
  const [head, ...rows] = records;
  if (!head) return [];
  const columns = head.fields.map((header) => columnOf(header, `${name}:${head.line}`));
  return rows.map((row, index) => {
    const where = `${name}:${row.line}`;
    if (row.fields.length !== columns.length) throw new EvalInputError(`${where}: ${row.fields.length} field(s), the header has ${columns.length}`);
    const json: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const cell = row.fields[i] ?? '';
      if (column.role === 'expected' && cell === '') return;
      if (column.role === 'id' || column.role === 'status') {
        if (cell !== '') json[column.role] = cell;
        return;
      }
      if (column.role === 'assert') {
        if (cell !== '') json.assert = cellValue(cell, column, where);
        return;
      }
      const value = cellValue(cell, column, where);
      if (column.path.length === 0) json[column.role] = value;
      else {
        const existing = json[column.role];
        const holder = isRecord(existing) ? existing : {};
        setPath(holder, column.path, value);
        json[column.role] = holder;
      }
    });
    return caseFromJson(json, index + 1, where);
  });
}

/** Reads a dataset by its extension (.jsonl/.ndjson, .json, .csv); EvalInputError for anything that is not one. */
export function readDataset(file: string): Dataset {
  const name = basename(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EvalInputError(code === 'ENOENT' ? `dataset not found: ${file}` : `dataset ${file} cannot be read (${code ?? String(error)})`);
  }
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const ext = extname(file).toLowerCase();
  let cases: EvalCase[];
  if (ext === '.jsonl' || ext === '.ndjson') cases = jsonl(text, name);
  else if (ext === '.json') cases = jsonArray(text, name);
  else if (ext === '.csv') cases = csv(text, name);
  else throw new EvalInputError(`dataset ${name}: unknown format "${ext || '(no extension)'}" (use .jsonl, .json or .csv)`);
  if (cases.length === 0) throw new EvalInputError(`dataset ${name} has no cases`);
  const seen = new Map<string, string>();
  for (const c of cases) {
    const first = seen.get(c.id);
    if (first !== undefined) throw new EvalInputError(`${c.source}: case id "${c.id}" is used twice (first at ${first})`);
    seen.set(c.id, c.source);
  }
  return { file, hash: createHash('sha256').update(bytes).digest('hex'), cases };
}
