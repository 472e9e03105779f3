// The inspector page in Chromium over finished, flagged, waiting and running runs: filters, a call's detail, calls
// in flight (streamed for a run the page drives), the timeline in words; screenshots in test/inspect/screenshots/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspector, type Inspector } from '../../src/inspect/index.ts';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { codeReviewRun, gate, reviewNoteRun, runsSimulator, type RunsFixture } from './fixtures/runs.ts';
import { launchChromium, skipWithoutChromium, type Browser } from './chromium.ts';

const skip = skipWithoutChromium('inspector browser tests');
// The committed screenshots (shown by the README) are refreshed only on request, so a test run leaves the tree clean.
const shots = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('./screenshots/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'inspector-shots-'));

describe.skipIf(skip)('inspector page: calls, filters, in flight (Chromium)', () => {
  let fixture: RunsFixture;
  let inspector: Inspector;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;
  let store: FileStore;
  let running: Promise<RunRecord>;
  let problems: string[] = [];
  const savedHost = process.env.OLLAMA_HOST;

  beforeAll(async () => {
    fixture = await runsSimulator({ ttftMs: 5, perTokenMs: 4 });
    process.env.OLLAMA_HOST = fixture.sim.url;
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-browser-'));
    store = new FileStore({ dir });
    await codeReviewRun(store, 'review-done');
    fixture.harshJudge = true;
    await codeReviewRun(store, 'review-flagged');
    fixture.draftGate.open();
    await reviewNoteRun(store, 'note-waiting');
    fixture.draftGate = gate();
    running = reviewNoteRun(store, 'note-running', 'kelp');
    inspector = await startInspector({ store, pollMs: 200 });
    browser = await launchChromium({ width: 1280, height: 860 }, { consoleErrors: true });
    ({ page, problems } = browser);
    mkdirSync(shots, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    fixture?.draftGate.open();
    await running;
    await browser?.close();
    await inspector?.close();
    await fixture?.sim.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => page.locator('table.runs tbody tr');

  it('filters the runs list by status, workflow and text', async () => {
    await page.goto(inspector.pageUrl);
    await page.locator('tr[data-run-id="review-flagged"]').waitFor();
    expect(await rows().count()).toBe(4);
    await page.locator('#filter-status').selectOption('flagged');
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 1);
    expect(await rows().first().getAttribute('data-run-id')).toBe('review-flagged');
    await page.locator('#filter-status').selectOption('');
    await page.locator('#filter-workflow').selectOption('review-note');
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 2);
    await page.locator('#run-search').fill('running');
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 1);
    expect(await page.locator('#run-count').textContent()).toBe('1 of 4 runs');
    expect(page.url()).toContain('q=running');
    await page.locator('#run-search').fill('');
    await page.locator('#filter-workflow').selectOption('');
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 4);
    await page.screenshot({ path: join(shots, 'runs.png') });
  }, 30_000);

  it('opens a flagged run: judge calls in the table, and a clicked call’s messages, reply, score and judges', async () => {
    await page.goto(`${inspector.pageUrl}#/runs/review-flagged`);
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'flagged');
    expect(await page.locator('#calls-title').textContent()).toBe('Model calls (7)');
    expect(await page.locator('table.calls tr.judge').count()).toBe(2);
    await page.locator('table.calls tr[data-call-id="5"]').click();
    const detail = page.locator('#call-detail[data-call-id="5"]');
    await detail.waitFor();
    expect(await detail.locator('h3').textContent()).toContain('verdict');
    expect(await detail.locator('.message.role-system pre').textContent()).toMatch(/^You are the lead reviewer/);
    expect(await detail.locator('pre.reply').textContent()).toContain('request-changes');
    expect(await detail.locator('ul.reasons').textContent()).toContain('too vague');
    expect(await detail.textContent()).toContain('load / prompt / eval');
    await detail.locator('ul.judges a').click();
    // The judge's call has its own entry: what the judge was asked is shown.
    const judge = page.locator('#call-detail[data-call-id="6"]');
    await judge.waitFor();
    expect(await judge.locator('.message.role-system pre').textContent()).toMatch(/^You are a strict, impartial evaluator/);
    await page.locator('table.calls tr[data-call-id="3"]').click();
    await page.locator('#call-detail[data-call-id="3"]').waitFor();
    expect(await page.locator('table.calls tr.selected').getAttribute('data-call-id')).toBe('3');
    await page.locator('#calls').scrollIntoViewIfNeeded();
    await page.locator('section:has(#calls)').screenshot({ path: join(shots, 'call-detail.png') });
  }, 30_000);

  it('opens a finished run: usage per model and the timeline in words', async () => {
    await page.goto(`${inspector.pageUrl}#/runs/review-done`);
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'done');
    expect(await page.locator('table.usage-models tbody tr').count()).toBe(3);
    const timeline = (await page.locator('table.timeline').textContent()) ?? '';
    expect(timeline).toContain('security/review: attempt 1 started');
    expect(timeline).not.toContain('xstate.done');
    await page.locator('table.calls tr[data-call-id="0"]').click();
    await page.locator('#call-detail[data-call-id="0"]').waitFor();
    await page.screenshot({ path: join(shots, 'run-done.png') });
  }, 30_000);

  it('opens a running run: the call in flight from its snapshot', async () => {
    await page.goto(`${inspector.pageUrl}#/runs/note-running`);
    const inflight = page.locator('#inflight .inflight');
    await inflight.waitFor();
    expect(await inflight.textContent()).toContain('draft · qwen2.5-coder:7b · attempt 1');
    expect(await inflight.textContent()).toContain('another process');
    await page.screenshot({ path: join(shots, 'run-running.png') });
  }, 30_000);

  it('opens a waiting run, sends REJECT, and streams the new draft call’s tokens', async () => {
    await page.goto(`${inspector.pageUrl}#/runs/note-waiting`);
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'waiting');
    await page.locator('button.quick-send[data-event="REJECT"]').click();
    const stream = page.locator('#inflight pre.stream');
    await stream.waitFor();
    fixture.draftGate.open();
    await page.waitForFunction(() => (document.querySelector('#inflight pre.stream')?.textContent ?? '').includes('Otters'));
    await page.locator('#inflight').screenshot({ path: join(shots, 'run-streaming.png') });
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'waiting' && !document.querySelector('#inflight .inflight'));
    expect(await page.locator('table.calls tbody tr').count()).toBe(4);
    expect(problems).toEqual([]);
  }, 30_000);
});
