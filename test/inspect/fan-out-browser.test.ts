// The inspector page in Chromium over fan-outs held in flight: items listed by index under one folded chart, so a
// page grows by a row per item, not a chart; and no two labels of a chart (the model step's included) overlap.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspector, type Inspector } from '../../src/inspect/index.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { launchChromium, skipWithoutChromium, type Browser } from './chromium.ts';
import fan from './fixtures/fan.workflow.ts';
import { gate } from './fixtures/runs.ts';

const skip = skipWithoutChromium('inspector fan-out browser tests');
const shots = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('./screenshots/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'inspector-shots-'));
const fanModule = fileURLToPath(new URL('./fixtures/fan.workflow.ts', import.meta.url));

/** Pairs that intersect in one chart: arrow labels with each other, with the states' own text and with leaf states' boxes. */
async function overlappingLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const chart of document.querySelectorAll('svg.statechart')) {
      const box = (t: Element) => ({ text: t.textContent ?? '', r: t.getBoundingClientRect() });
      const labels = [...chart.querySelectorAll('text.edge-label')].map(box).filter((b) => b.r.width > 0);
      // A state's text, and the box of a state with no children (a compound state's box holds arrows and labels).
      const names = [...chart.querySelectorAll('text.state-name, text.state-line')].map(box).filter((b) => b.r.width > 0);
      const leaves = [...chart.querySelectorAll('g.state.type-atomic > rect.state-rect, g.state.type-final > rect.state-rect')]
        .map((r) => ({ text: `box of ${r.parentElement?.getAttribute('data-path') ?? '?'}`, r: r.getBoundingClientRect() }));
      const meet = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      labels.forEach((a, i) => {
        for (const b of [...labels.slice(i + 1), ...names, ...leaves]) {
          if (meet(a.r, b.r)) found.push(`${chart.getAttribute('aria-label')}: "${a.text}" on "${b.text}"`);
        }
      });
      // An arrow drawn through a label: points along every arrow, none inside a label's box.
      const svgRoot = chart instanceof SVGSVGElement ? chart : null;
      for (const path of chart.querySelectorAll('path.edge-line')) {
        if (!(path instanceof SVGPathElement) || !svgRoot) continue;
        const matrix = path.getScreenCTM();
        if (!matrix) continue;
        const length = path.getTotalLength();
        const crossed = new Set<string>();
        for (let at = 0; at <= length; at += 2) {
          const p = new DOMPoint(path.getPointAtLength(at).x, path.getPointAtLength(at).y).matrixTransform(matrix);
          for (const label of labels) {
            if (p.x > label.r.left + 1 && p.x < label.r.right - 1 && p.y > label.r.top + 1 && p.y < label.r.bottom - 1) crossed.add(label.text);
          }
        }
        const edge = path.parentElement;
        for (const text of crossed) found.push(`${chart.getAttribute('aria-label')}: arrow ${edge?.getAttribute('data-from')} -> ${edge?.getAttribute('data-to')} through "${text}"`);
      }
    }
    return found;
  });
}

describe.skipIf(skip)('inspector page: fan-out items (Chromium)', () => {
  let sim: Simulator;
  let inspector: Inspector;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;
  const replies = gate();
  const runs: Promise<RunRecord>[] = [];
  let problems: string[] = [];
  const savedHost = process.env.OLLAMA_HOST;

  beforeAll(async () => {
    // Every item's call is held until the end: the runs stay with all their items live.
    sim = await startSimulator({
      seed: 3,
      numParallel: 8,
      script: {
        '*': async (req) => {
          await replies.opened;
          return JSON.stringify({ text: `more about ${req.messages.at(-1)?.content ?? ''}` });
        },
      },
    });
    process.env.OLLAMA_HOST = sim.url;
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-fan-'));
    const store = new FileStore({ dir });
    runs.push(runWorkflow({ store, workflow: fan, modulePath: fanModule, input: { topics: ['otters'] }, runId: 'fan-1', limiter: null }));
    runs.push(runWorkflow({ store, workflow: fan, modulePath: fanModule, input: { topics: ['otters', 'kelp', 'tides'] }, runId: 'fan-3', limiter: null }));
    inspector = await startInspector({ store, pollMs: 200 });
    browser = await launchChromium({ width: 1280, height: 860 });
    ({ page, problems } = browser);
    mkdirSync(shots, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    replies.open();
    await Promise.all(runs);
    await browser?.close();
    await inspector?.close();
    await sim?.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Opens a run and waits until its fan-out lists `items` items, each in flight; returns the page's height and its chart section's. */
  async function openFanOut(runId: string, items: number): Promise<{ page: number; charts: number }> {
    await page.goto(`${inspector.pageUrl}#/runs/${runId}`);
    await page.waitForFunction(
      (n) => document.querySelectorAll('.fan-out tr.item').length === n && [...document.querySelectorAll('.fan-out tr.item .item-active')].every((c) => c.textContent === 'attempting'),
      items,
      { timeout: 30_000 },
    );
    return page.evaluate(() => ({
      page: document.documentElement.scrollHeight,
      charts: document.getElementById('diagram')?.closest('section')?.getBoundingClientRect().height ?? 0,
    }));
  }

  it('lists a fan-out’s items by index under one folded chart: 3 items make the page little taller than 1', async () => {
    const one = await openFanOut('fan-1', 1);
    const three = await openFanOut('fan-3', 3);
    const items = page.locator('.fan-out tr.item');
    expect(await items.locator('.item-label').allTextContents()).toEqual(['fan[0]', 'fan[1]', 'fan[2]']);
    expect(await page.locator('.agent[data-agent="fan"] h3').textContent()).toMatch(/^fan-out fan /);
    // One chart for the items, folded: a chart per item made a 3-item page 3,832 px tall.
    expect(await page.locator('.fan-out details.item-chart').count()).toBe(1);
    expect(await page.locator('.fan-out details.item-chart').getAttribute('open')).toBeNull();
    // Each further item adds a row to the charts' section, and its call in flight and its timeline rows to the page:
    // far less than a chart per item (a model step's is over 1,000 px).
    expect(three.charts - one.charts).toBeLessThanOrEqual(2 * 40);
    expect(three.page - one.page).toBeLessThanOrEqual(2 * 200);
    console.info(`fan-out page: 1 item ${one.page} px (charts ${one.charts}), 3 items ${three.page} px (charts ${three.charts})`);
    await page.locator('section:has(#diagram)').screenshot({ path: join(shots, 'fan-out.png') });
  }, 60_000);

  it('draws the model step’s chart with no two labels overlapping, the items’ states marked on it', async () => {
    await openFanOut('fan-3', 3);
    const chart = page.locator('.fan-out details.item-chart');
    await chart.locator('summary').first().click();
    await chart.locator('svg.statechart').waitFor();
    expect(await chart.locator('svg.statechart g.state.active-leaf').getAttribute('data-path')).toBe('attempting');
    expect(await overlappingLabels(page)).toEqual([]);
    await chart.screenshot({ path: join(shots, 'model-step-chart.png') });
    expect(problems).toEqual([]);
  }, 60_000);
});
