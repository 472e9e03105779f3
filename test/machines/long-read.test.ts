// long-read against the simulator: a 150-page file (~150k tokens) read through an 8k window, round after round, its
// progress note carried in the workflow's context across rounds and compactions, the count exact at the end.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import longRead, { pageBytes, type LongReadOutput } from '../../machines/long-read.ts';
import { checkMachine } from '../../src/check/index.ts';
import { ContextWindows } from '../../src/llm/context/windows.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import type { SimReply, SimRequest } from '../../src/testing/index.ts';
import { useModelRuns } from '../helpers/runs.ts';
import { tempDir } from '../steps/fixtures.ts';

const modulePath = join(import.meta.dirname, '../../machines/long-read.ts');
const runs = useModelRuns('harness-long-read-');
const lineBytes = 64; // pages hold whole lines: no line is split between two pages

/** `pages` pages of 64-byte log lines; every 7th line is an ALERT. Returns the file and how many ALERT lines it has. */
function logFile(pages: number): { file: string; alerts: number } {
  const lines: string[] = [];
  let alerts = 0;
  for (let i = 0; i < (pages * pageBytes) / lineBytes; i++) {
    const alert = i % 7 === 3;
    if (alert) alerts++;
    const text = alert ? `line ${i}: ALERT pressure high at station ${i % 13}` : `line ${i}: all quiet at station ${i % 13}, readings normal`;
    lines.push(text.padEnd(lineBytes - 1, ' '));
  }
  const file = join(tempDir(), 'stations.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, alerts };
}

const NOTE = /pages 0 to (\d+) read; ALERT lines so far: (\d+)/;
const SUMMARY = /pages (\d+) to (\d+) read; ALERT lines in them: (\d+)/;
const PAGE = /page (\d+) of (\d+)\n([\s\S]*?)(?=\n\n(?:tool|assistant|user)|$)/g;

interface Progress {
  upTo: number;
  alerts: number;
  pages: number;
}

/** Adds what `text` shows, page by page in order: summaries of pages read, and pages themselves. */
function read(text: string, into: Progress, fromSummaries = true): Progress {
  const p = { ...into };
  if (fromSummaries) {
    const summary = SUMMARY.exec(text);
    if (summary && Number(summary[1]) === p.upTo + 1) {
      p.upTo = Number(summary[2]);
      p.alerts += Number(summary[3]);
    }
  }
  for (const match of text.matchAll(PAGE)) {
    if (Number(match[1]) !== p.upTo + 1) continue;
    p.upTo = Number(match[1]);
    p.pages = Number(match[2]);
    p.alerts += (match[3]?.match(/ALERT/g) ?? []).length;
  }
  return p;
}

const isSummary = (req: SimRequest): boolean => req.messages[0]?.content.startsWith('You compress') === true;

/** The model: reads six pages a round in order, keeps count in its note, answers after the last page. */
function model(req: SimRequest): SimReply {
  if (isSummary(req)) {
    const text = req.messages[1]?.content ?? '';
    const earlier = SUMMARY.exec(text);
    const first = Number(earlier?.[1] ?? /page (\d+) of/.exec(text)?.[1] ?? 0);
    const seen = read(text, { upTo: first - 1, alerts: 0, pages: 0 });
    return { content: `pages ${first} to ${seen.upTo} read; ALERT lines in them: ${seen.alerts}` };
  }
  const task = req.messages[1]?.content ?? '';
  const note = NOTE.exec(task);
  const start = Number(/Start at page (\d+)/.exec(task)?.[1] ?? 0);
  let p: Progress = { upTo: note ? Number(note[1]) : -1, alerts: note ? Number(note[2]) : 0, pages: Infinity };
  for (const message of req.messages.slice(2)) p = read(message.content, p);
  const round = p.upTo - start + 1;
  if (p.upTo + 1 >= p.pages) {
    return { content: JSON.stringify({ note: `pages 0 to ${p.upTo} read; ALERT lines so far: ${p.alerts}`, nextPage: p.upTo + 1, done: true, answer: `${p.alerts} lines say ALERT` }) };
  }
  if (round >= 6) return { content: JSON.stringify({ note: `pages 0 to ${p.upTo} read; ALERT lines so far: ${p.alerts}`, nextPage: p.upTo + 1, done: false, answer: null }) };
  return { content: '', toolCalls: [{ function: { name: 'read_page', arguments: { page: p.upTo + 1 } } }] };
}

describe('long-read', () => {
  it('passes harness check', () => {
    expect(checkMachine(longRead.machine, { sampleInput: { file: 'x.log', question: 'q' } }).filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('reads a file of ~150k tokens through an 8k window: the note carries the count across rounds and compactions', async () => {
    const pages = 150;
    const { file, alerts } = logFile(pages);
    const { sim, store } = await runs.start({ models: [{ name: 'qwen2.5-coder:7b', contextLength: 8192 }, 'qwen2.5-coder:32b'], script: { '*': model } });
    const record = await runWorkflow({ store, workflow: longRead, modulePath, input: { file, question: 'How many lines say ALERT?' }, windows: new ContextWindows() });
    expect(record.status).toBe('done');
    const output = record.output as LongReadOutput;
    expect(output.answer).toBe(`${alerts} lines say ALERT`);
    expect(output.rounds).toBe(Math.ceil(pages / 6));
    expect(output.note).toBe(`pages 0 to ${pages - 1} read; ALERT lines so far: ${alerts}`);
    expect(sim.stats().truncations).toBe(0);
    // Every round outgrew the window: compacted on purpose, inside the round, and only the small model was needed.
    const summaries = record.journal.filter((entry) => entry.step.endsWith('.compact'));
    expect(summaries.length).toBeGreaterThanOrEqual(output.rounds - 1);
    expect(Object.keys(sim.stats().byModel)).toEqual(['qwen2.5-coder:7b']);
    const tokens = record.journal.reduce((sum, entry) => sum + entry.result.tokensIn, 0);
    expect(tokens).toBeGreaterThan(10 * 8192);
  }, 240_000);
});
