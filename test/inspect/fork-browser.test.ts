// "Fork from here" in Chromium: the checkpoints table, a refusal shown in the page, and a fork that opens the new run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspector, type Inspector } from '../../src/inspect/index.ts';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { reviewNoteRun } from './fixtures/runs.ts';
import { launchChromium, skipWithoutChromium, type Browser } from './chromium.ts';

const skip = skipWithoutChromium('inspector fork browser test');

describe.skipIf(skip)('inspector page: fork from a checkpoint (Chromium)', () => {
  let sim: Simulator;
  let inspector: Inspector;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;
  let store: FileStore;
  let problems: string[] = [];
  const savedHost = process.env.OLLAMA_HOST;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 9 });
    process.env.OLLAMA_HOST = sim.url;
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-fork-browser-'));
    store = new FileStore({ dir });
    await reviewNoteRun(store, 'note-source');
    inspector = await startInspector({ store, pollMs: 200 });
    browser = await launchChromium({ width: 1280, height: 860 });
    ({ page, problems } = browser);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await inspector?.close();
    await sim?.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the checkpoints, shows a refused fork, and opens the new run after a fork', async () => {
    const middle = (await store.history('note-source')).find((entry) => entry.value === 'reviewing');
    expect(middle).toBeDefined();
    await page.goto(`${inspector.pageUrl}#/runs/note-source`);
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'waiting');
    const rows = page.locator('table.history-table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe((await store.history('note-source')).length);
    expect(await rows.first().textContent()).toContain('approval');
    const button = page.locator(`table.history-table tr[data-seq="${middle?.seq}"] button.fork`);

    await page.locator('#fork-patch').fill('[1]');
    await button.click();
    await page.waitForFunction(() => document.getElementById('fork-result')?.className === 'error');
    expect(await page.locator('#fork-result').textContent()).toContain('context patch must be a JSON object');

    const before = sim.stats().requests;
    await page.locator('#fork-patch').fill('{"topic": "seals"}');
    await page.locator('#fork-run-id').fill('note-fork');
    await button.click();
    await page.waitForURL(/#\/runs\/note-fork$/);
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'waiting', undefined, { timeout: 10_000 });
    expect(sim.stats().requests - before).toBe(1);
    // The draft was reused from the source (paid there), the review made anew: counted as every command counts them.
    expect(await page.locator('#calls-title').textContent()).toBe('Model calls (1 paid, 1 reused)');
    expect(await page.locator('table.usage-models').first().textContent()).toMatch(/paid calls\s*reused/);
    expect(problems).toEqual([]);
  }, 30_000);
});
