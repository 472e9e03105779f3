import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LiveView } from '../../src/cli/live-view.ts';
import type { RunRecord } from '../../src/store/index.ts';
import type { ModelResult } from '../../src/llm/types.ts';

/** A terminal-like sink: what a person's terminal would receive. */
function sink(tty: boolean, columns = 80) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    tty ? { isTTY: true, columns } : {},
  );
  return { stream, text: () => text };
}

/** A model step's machine under way, as the root's persisted snapshot holds it while the step runs. */
const stepChild = (value: string) => ({ ask: { src: 'ask', snapshot: { status: 'active', value, context: {}, children: {} } } });

function record(value: unknown, usage = { tokensIn: 0, tokensOut: 0, calls: 0 }, flags: string[] = [], children: Record<string, unknown> = {}): RunRecord {
  const now = new Date().toISOString();
  return {
    format: 1,
    runId: 'r1',
    workflow: { id: 'wf', module: '/wf.ts', moduleRelative: 'wf.ts', hash: 'h', definition: {} },
    input: {},
    status: 'running',
    snapshot: { status: 'active', value, context: {}, children },
    journal: [],
    timeline: [],
    flags,
    epoch: 1,
    budget: {},
    usage,
    activeMs: 0,
    seed: 1,
    createdAt: now,
    updatedAt: now,
  };
}

const result: ModelResult = {
  content: '{}',
  model: 'm:7b',
  tokensIn: 5,
  tokensOut: 3,
  durationMs: 1200,
  ttftMs: 100,
  success: false,
  retries: 1,
  score: null,
  metadata: { host: 'h', error: { kind: 'invalid-output', message: 'answer: Required' } },
};

function drive(view: LiveView): void {
  view.onCheckpoint(record('asking', undefined, [], stepChild('attempting')));
  view.onCall({ type: 'call.start', key: 'k', step: 'ask', model: 'm:7b', attempt: 2 });
  view.onCall({ type: 'call.token', key: 'k', piece: '{' });
  view.onCall({ type: 'call.token', key: 'k', piece: '}' });
}

describe('LiveView', () => {
  it('writes plain lines without ANSI when the stream is not a terminal', () => {
    const out = sink(false);
    const view = new LiveView({ stream: out.stream, env: {}, runId: 'r1', workflow: 'wf' });
    drive(view);
    view.onCall({ type: 'call.end', key: 'k', step: 'ask', result, replayed: false });
    view.onCheckpoint(record('asking', { tokensIn: 5, tokensOut: 3, calls: 1 }, [], stepChild('backingOff')));
    view.onCheckpoint(record('flagged', { tokensIn: 5, tokensOut: 3, calls: 1 }, ['ask: ladder exhausted']));
    view.close();
    const lines = out.text().trimEnd().split('\n').map((l) => l.replace(/^\[ *\d+\.\ds\] /, ''));
    expect(lines).toEqual([
      'run r1  workflow wf',
      'state asking, ask: attempting',
      'call ask  m:7b  attempt 2  started',
      'call ask  m:7b  attempt 2  invalid-output  5 in / 3 out tokens  1.20s  answer: Required',
      'state asking, ask: backingOff',
      'state flagged',
      'flag ask: ladder exhausted',
    ]);
    expect(out.text()).not.toContain('\x1b');
  });

  it('redraws a block in place on a terminal: the call under way with its streamed tokens, then the totals', () => {
    const out = sink(true, 60);
    const view = new LiveView({ stream: out.stream, env: {}, runId: 'r1', workflow: 'wf', frameMs: 60_000 });
    drive(view);
    view.render();
    const frame = out.text();
    expect(frame).toContain('calling ask  m:7b  attempt 2  2 tokens');
    expect(frame).toMatch(/\x1b\[\d+A\r\x1b\[J/); // moved up over the previous frame and cleared it
    view.onCall({ type: 'call.end', key: 'k', step: 'ask', result, replayed: false });
    view.onCheckpoint(record('done', { tokensIn: 5, tokensOut: 3, calls: 1 }));
    view.close();
    const last = out.text().slice(out.text().lastIndexOf('\x1b[J') + 3);
    const visible = last.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(visible).toContain('calls   none under way');
    expect(visible).toContain('ended   ask  m:7b  attempt 2  invalid-output');
    expect(visible).toContain('totals  calls 1  tokens 5 in / 3 out');
    expect(last).toContain('\x1b[31minvalid-output'); // colour on a terminal
    // Lines are cut to the terminal's width, or wrapping would break the cursor-up count of the next frame.
    for (const line of visible.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(59);
  });

  it('keeps cursor movement but drops colour under NO_COLOR', () => {
    const out = sink(true);
    const view = new LiveView({ stream: out.stream, env: { NO_COLOR: '1' }, runId: 'r1', workflow: 'wf', frameMs: 60_000 });
    drive(view);
    view.render();
    view.close();
    expect(out.text()).toMatch(/\x1b\[\d+A/);
    expect(out.text()).not.toMatch(/\x1b\[\d+m/);
  });

  it('shows nothing until the run starts, so a refused run prints only its error', () => {
    const out = sink(false);
    new LiveView({ stream: out.stream, env: {}, runId: 'r1', workflow: 'wf' }).close();
    expect(out.text()).toBe('');
  });
});
