// The inspector's Evaluations tab in Chromium: the evals list, an eval's variants, coverage and cases × variants
// matrix (filtered), and a cell opening the case's run read-only; screenshot in test/inspect/screenshots/eval-matrix.png.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvalSource, planEval, runEval } from '../../src/eval/index.ts';
import { startInspector, type Inspector } from '../../src/inspect/index.ts';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { repoRoot } from '../cli/harness.ts';
import { script } from '../eval/fixtures/sum-script.ts';
import { call } from './http.ts';
import { launchChromium, skipWithoutChromium, type Browser } from './chromium.ts';

const skip = skipWithoutChromium('inspector eval browser tests');
const shots = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('./screenshots/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'inspector-shots-'));

describe('the inspector\'s evals', { timeout: 60_000 }, () => {
  let sim: Simulator;
  let inspector: Inspector;
  const dir = mkdtempSync(join(tmpdir(), 'harness-inspect-evals-'));
  const savedHost = process.env.OLLAMA_HOST;

  const getJson = async (path: string) => {
    const reply = await call(inspector.url, 'GET', path);
    return { status: reply.status, body: reply.json() };
  };

  beforeAll(async () => {
    sim = await startSimulator({ script });
    process.env.OLLAMA_HOST = sim.url;
    const source = await loadEvalSource('test/eval/fixtures/sum.eval.ts', repoRoot);
    await runEval({ plan: planEval({ source, cwd: repoRoot, evalsDir: join(dir, 'evals'), evalId: 'sum-eval' }), concurrency: 2, cwd: repoRoot });
    inspector = await startInspector({ store: new FileStore({ dir: join(dir, 'snapshots') }), evals: join(dir, 'evals'), pollMs: 200 });
  }, 60_000);

  afterAll(async () => {
    await inspector?.close();
    await sim?.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the evals, a report and a case\'s run over the API; an unknown eval or run is a 404', async () => {
    const list = await getJson('/api/evals');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ evals: [{ evalId: 'sum-eval', workflowId: 'sum', cases: 6, variants: [{ name: 'ladder', finished: 6, pass: 4 }, { name: 'big-only', finished: 6, pass: 5 }] }] });
    const report = await getJson('/api/evals/sum-eval');
    expect(report.body).toMatchObject({ evalId: 'sum-eval', complete: true });
    const run = await getJson('/api/evals/sum-eval/runs/ladder_odd');
    expect(run.body).toMatchObject({ summary: { runId: 'ladder_odd', status: 'done' }, snapshotsDir: join(dir, 'evals', 'sum-eval', 'runs') });
    expect((await getJson('/api/evals/sum-eval/runs/ladder_odd/calls/2')).body).toMatchObject({ row: { model: 'qwen2.5-coder:32b' }, data: { sum: 7 } });
    expect((await getJson('/api/evals/nope')).status).toBe(404);
    expect((await getJson('/api/evals/sum-eval/runs/nope')).status).toBe(404);
    expect((await getJson('/api/evals/..%2Fx')).status).toBe(400);
  });

  describe.skipIf(skip)('in Chromium', () => {
    let browser: Browser | undefined;
    let page: Page;
    let problems: string[] = [];

    beforeAll(async () => {
      browser = await launchChromium({ width: 1280, height: 900 }, { consoleErrors: true });
      ({ page, problems } = browser);
      mkdirSync(shots, { recursive: true });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('lists the evals and opens one: variants, steps, coverage, and the cases × variants matrix', async () => {
      await page.goto(`${inspector.pageUrl}#/evals`);
      await page.locator('table.evals tr[data-eval-id="sum-eval"] a.eval-link').click();
      await page.locator('table.eval-matrix').waitFor();
      expect(await page.locator('#eval-state').textContent()).toBe('complete');
      expect(await page.locator('table.eval-variants tr[data-variant="ladder"] .rate').textContent()).toBe('66.7%');
      expect(await page.locator('table.eval-coverage tr[data-variant="ladder"][data-machine=""]').textContent()).toContain('large');
      expect(await page.locator('table.eval-matrix tbody tr').count()).toBe(6);
      expect(await page.locator('tr[data-case="five"] td[data-variant="ladder"]').getAttribute('data-outcome')).toBe('fail');
      expect(await page.locator('tr[data-case="five"] td.why').textContent()).toBe('ladder: equals sum: 12 ≠ 11');
      await page.screenshot({ path: join(shots, 'eval-matrix.png'), fullPage: true });
      await page.locator('#matrix-filter').selectOption('differ');
      await page.waitForFunction(() => document.querySelectorAll('table.eval-matrix tbody tr').length === 1);
      await page.locator('#matrix-filter').selectOption('failing');
      await page.waitForFunction(() => document.querySelectorAll('table.eval-matrix tbody tr').length === 2);
    });

    it('a cell opens the case\'s run, read-only, with the way back to the eval', async () => {
      await page.goto(`${inspector.pageUrl}#/evals/sum-eval`);
      await page.reload(); // the same address: drawn anew, with the matrix unfiltered
      await page.locator('tr[data-case="odd"] td[data-variant="ladder"] a').click();
      await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'done');
      expect(page.url()).toContain('#/evals/sum-eval/runs/ladder_odd');
      expect(await page.locator('#calls-title').textContent()).toBe('Model calls (3)');
      expect(await page.locator('#eval-run-note').textContent()).toContain('harness fork ladder_odd --at <seq> --snapshots');
      expect(await page.locator('#resume').count()).toBe(0);
      expect(await page.locator('button.fork').count()).toBe(0);
      await page.locator('a[href="#/evals/sum-eval"]').click();
      await page.locator('table.eval-matrix').waitFor();
      expect(problems).toEqual([]);
    });
  });
});
