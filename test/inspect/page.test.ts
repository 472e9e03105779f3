// The inspector page in a real Chromium: a live run's diagram follows its steps, and APPROVE sent from the page ends it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspector, type Inspector } from '../../src/inspect/index.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import workflow from './fixtures/review.workflow.ts';
import agentWorkflow from './fixtures/agent.workflow.ts';
import { launchChromium, skipWithoutChromium, type Browser } from './chromium.ts';

const skip = skipWithoutChromium('inspector browser test');

const modulePath = fileURLToPath(new URL('./fixtures/review.workflow.ts', import.meta.url));
const agentModulePath = fileURLToPath(new URL('./fixtures/agent.workflow.ts', import.meta.url));
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** A promise the test resolves by hand: the simulator holds a step's reply until the page has shown that step. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe.skipIf(skip)('inspector page (Chromium)', () => {
  const draftGate = gate();
  const reviewGate = gate();
  const agentGate = gate();
  let sim: Simulator;
  let inspector: Inspector;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let dir: string;
  let store: FileStore;
  const savedHost = process.env.OLLAMA_HOST;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 5,
      latency: { ttftMs: 250, perTokenMs: 25 },
      script: {
        '*': async (req) => {
          const prompt = req.messages.at(-1)?.content ?? '';
          if (prompt.includes('about kelp')) {
            await agentGate.opened;
            return JSON.stringify({ text: 'Kelp forests grow fast.' });
          }
          if (prompt.startsWith('DRAFT')) {
            await draftGate.opened;
            return JSON.stringify({ text: 'Otters hold hands while they sleep.' });
          }
          await reviewGate.opened;
          return JSON.stringify({ verdict: 'ok', notes: 'accurate and short' });
        },
      },
    });
    // The fixture takes its host from OLLAMA_HOST, so the inspector can load it again to deliver APPROVE.
    process.env.OLLAMA_HOST = sim.url;
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-page-'));
    store = new FileStore({ dir });
    inspector = await startInspector({ store, pollMs: 250 });
    browser = await launchChromium({ width: 1280, height: 1000 });
    ({ context } = browser);
  }, 60_000);

  afterAll(async () => {
    draftGate.open();
    reviewGate.open();
    agentGate.open();
    await browser?.close();
    await inspector?.close();
    await sim?.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows a live run from step to step, and approves it from the page', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(inspector.pageUrl);
    await page.getByText('No runs yet').waitFor();

    const runId = 'inspect-e2e';
    const running: Promise<RunRecord> = runWorkflow({ store, workflow, modulePath, input: { topic: 'otters' }, runId, limiter: null });

    // The run appears in the list without a reload (fs.watch → SSE), and its page shows the statechart.
    await page.locator(`tr[data-run-id="${runId}"] a.run-link`).click();
    await page.locator('svg.statechart g.state[data-path="approval"]').waitFor();
    const activeOf = () => page.locator('#diagram svg.statechart').getAttribute('data-active');

    // The root waits in `drafting` while the step's own machine, drawn beside it, is `attempting`.
    await page.waitForFunction(() => document.querySelector('#diagram svg.statechart')?.getAttribute('data-active') === 'drafting');
    expect(await page.locator('#diagram g.state.active-leaf').getAttribute('data-path')).toBe('drafting');
    const draftStep = '.agent[data-agent="draft"] svg.statechart';
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-active') === 'attempting', draftStep);
    expect(await page.locator('.agent[data-agent="draft"] h3').textContent()).toContain('model step');
    draftGate.open();

    await page.waitForFunction(() => document.querySelector('#diagram svg.statechart')?.getAttribute('data-active') === 'reviewing');
    expect(await page.locator('#diagram g.state.active[data-path="drafting"]').count()).toBe(0);
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-active') === 'attempting', '.agent[data-agent="review"] svg.statechart');
    expect(await page.locator('.agent[data-agent="draft"]').count()).toBe(0); // the finished step's chart is gone
    reviewGate.open();

    expect((await running).status).toBe('waiting');
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'waiting');
    expect(await activeOf()).toBe('approval');
    expect(await page.locator('table.calls tbody tr').count()).toBe(2);

    await page.locator('#event-data').fill('{"note": "ship it"}');
    await page.locator('button.quick-send[data-event="APPROVE"]').click();
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'done');
    expect(await activeOf()).toBe('done');

    const record = await store.read(runId);
    expect(record.status).toBe('done');
    const { decision } = record.snapshot?.context as { decision: { type: string; note?: string } | null };
    expect(decision).toEqual({ type: 'APPROVE', note: 'ship it' });
    expect(record.timeline.some((t) => t.actor === 'root' && t.event === 'APPROVE')).toBe(true);

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'inspector.png'), fullPage: true });
    await page.locator('#snapshot summary').click();
    expect(await page.locator('#snapshot-json').isVisible()).toBe(true);
    expect(JSON.parse((await page.locator('#snapshot-json').textContent()) ?? 'null')).toMatchObject({ status: 'done', value: 'done' });
    expect(problems).toEqual([]);
  }, 60_000);

  it('draws a sub-agent’s statechart under the root one and follows its state live', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const runId = 'inspect-agent';
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(`${inspector.pageUrl}#/runs/${runId}`);
    const running = runWorkflow({ store, workflow: agentWorkflow, modulePath: agentModulePath, input: { topic: 'kelp' }, runId, limiter: null });
    const agentActive = '.agent[data-agent="writer"] svg.statechart';
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-active') === 'drafting', agentActive);
    // The agent's model step is a machine of its own, drawn under the agent while it runs.
    await page.waitForFunction(() => document.querySelector('.agent[data-agent="writer/draft"] svg.statechart')?.getAttribute('data-active') === 'attempting');
    expect(await page.locator('#diagram svg.statechart').getAttribute('data-active')).toBe('delegating');
    agentGate.open();
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-active') === 'approval', agentActive);
    expect((await running).status).toBe('waiting');
    expect(await page.locator('.agent[data-agent="writer"] g.state.active-leaf').getAttribute('data-path')).toBe('approval');
    await page.screenshot({ path: join(artifacts, 'inspector-agents.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 30_000);
});
