import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { toDefinitionJson, toMermaid } from '../../src/check/index.ts';
import extract from '../../machines/extract.ts';
import { cleanMachine } from './fixtures/machines.ts';

const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe('toMermaid', () => {
  const diagram = toMermaid(cleanMachine);

  it('starts a stateDiagram-v2 with the initial state', () => {
    expect(diagram.split('\n').slice(0, 2)).toEqual(['stateDiagram-v2', '  [*] --> drafting']);
  });

  it('nests compound states with their own initial and final markers', () => {
    const text = lines(diagram);
    const open = text.indexOf('state "drafting" as drafting {');
    expect(open).toBeGreaterThan(0);
    expect(text.slice(open + 1, open + 7)).toEqual([
      '[*] --> drafting_attempting',
      'state "attempting" as drafting_attempting',
      'state "backoff" as drafting_backoff',
      'state "validated" as drafting_validated',
      'drafting_validated --> [*]',
      '}',
    ]);
    expect(text).toContain('done --> [*]');
    expect(text).toContain('failed --> [*]');
  });

  it('separates parallel regions with --', () => {
    const text = lines(diagram);
    const open = text.indexOf('state "review" as review {');
    const close = text.indexOf('state "style" as review_style {');
    expect(text[open + 1]).toBe('state "security" as review_security {');
    expect(text[close - 1]).toBe('--');
  });

  it('labels transitions by event, invoke result, guard and state completion', () => {
    const text = lines(diagram);
    // An invoke's result reads `callModel done`: a colon would end the label, and its entity is no label to read.
    expect(text).toEqual(
      expect.arrayContaining([
        'drafting_attempting --> drafting_validated : callModel done',
        'drafting_attempting --> drafting_backoff : callModel error [canRetry]',
        'drafting_attempting --> failed : callModel error',
        'drafting --> review : done',
        'awaitingApproval --> done : APPROVE',
        'awaitingApproval --> drafting : REJECT',
      ]),
    );
  });

  it('writes the labels of a workflow made of harness steps without entity codes', () => {
    const diagram = toMermaid(extract.machine);
    expect(diagram).not.toMatch(/#\d+;/);
    expect(lines(diagram)).toContain('extracting --> done : extract done');
  });

  it('labels always and after, draws machine-level transitions from "(any state)", and keeps ids valid and unique', () => {
    const machine = createMachine({
      id: 'odd',
      initial: 'a.b',
      on: { CANCEL: '.end' },
      states: {
        'a.b': { always: [{ target: 'a_b', guard: 'ready' }], after: { 250: 'a_b' } },
        a_b: { on: { 'task:done': '1st' } },
        '1st': { type: 'final' },
        end: { type: 'final' },
      },
    });
    const text = lines(toMermaid(machine));
    expect(text).toEqual(
      expect.arrayContaining([
        '[*] --> a_b',
        'state "a.b" as a_b',
        'state "a_b" as a_b_2',
        'state "1st" as s_1st',
        'state "end" as s_end',
        'state "(any state)" as any_state',
        'any_state --> s_end : CANCEL',
        'a_b --> a_b_2 : always [ready]',
        'a_b --> a_b_2 : after 250ms',
        'a_b_2 --> s_1st : task#58;done',
      ]),
    );
    for (const line of text.filter((l) => l.startsWith('state '))) expect(line).toMatch(/^state "[^"]*" as [A-Za-z][A-Za-z0-9_]*( \{)?$/);
  });

  it('writes only lines the Mermaid state grammar reads: ids without - or :, labels with a single colon', () => {
    const machine = createMachine({
      id: 'labels',
      initial: 'default',
      states: {
        default: { on: { 'a;b': 'class', '%%x': 'class' } },
        class: { on: { 'x#1': 'default' }, after: { 5: 'note' } },
        note: { type: 'final' },
      },
    });
    const text = lines(toMermaid(machine)).filter((l) => l.includes('-->'));
    // Mermaid swaps entity codes (#59;) out before it parses, as its encodeEntities does.
    for (const line of text) expect(line.replace(/#\w+;/g, 'E')).toMatch(/^(\[\*\]|[A-Za-z][A-Za-z0-9_]*) --> (\[\*\]|[A-Za-z][A-Za-z0-9_]*)( : [^:;\n]+)?$/);
    expect(text).toEqual(
      expect.arrayContaining(['s_default --> s_class : a#59;b', 's_default --> s_class : #37;#37;x', 's_class --> s_default : x#35;1']),
    );
  });
});

describe('toDefinitionJson', () => {
  it('is machine.toJSON() as plain JSON', () => {
    const json = toDefinitionJson(cleanMachine);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.id).toBe('clean');
    expect(Object.keys(json.states as object)).toEqual(['drafting', 'review', 'awaitingApproval', 'done', 'failed']);
  });
});
