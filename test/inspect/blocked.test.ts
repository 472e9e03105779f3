// A run workers refuse, as the inspector shows it: its `blocked` note in the API, a `blocked` badge with the reason in
// the runs list, and the reason on the run's page (Chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspector, type Inspector } from '../../src/inspect/index.ts';
import { submitRun } from '../../src/runtime/runs.ts';
import { FileStore, type RunSummary } from '../../src/store/index.ts';
import { noteBlocked } from '../../src/worker/blocked.ts';
import workflow from './fixtures/review.workflow.ts';
import { launchChromium, skipWithoutChromium } from './chromium.ts';
import { call } from './http.ts';

const reason = 'cannot load workflow gone.workflow.ts: REVIEW_TOKEN is not set';

describe('inspector: a blocked run', () => {
  let dir: string;
  let inspector: Inspector;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-blocked-'));
    const store = new FileStore({ dir });
    // The module it was submitted with is gone: the page draws it from the stored definition all the same.
    await submitRun({ store, workflow, modulePath: join(dir, 'gone.workflow.ts'), input: { topic: 'kelp' }, runId: 'stuck' });
    expect(await noteBlocked(store, 'stuck', { code: 'WORKFLOW_LOAD', message: reason }, undefined)).toBe(true);
    inspector = await startInspector({ store, pollMs: 200 });
  });

  afterAll(async () => {
    await inspector?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the note with the run', async () => {
    const { runs } = (await call(inspector.url, 'GET', '/api/runs')).json() as { runs: RunSummary[] };
    expect(runs[0]).toMatchObject({ runId: 'stuck', status: 'running', blocked: { code: 'WORKFLOW_LOAD', reason } });
  });

  it.skipIf(skipWithoutChromium('blocked run in the inspector page'))('shows the badge and the reason (Chromium)', async () => {
    const { page, close } = await launchChromium({ width: 1100, height: 700 });
    try {
      await page.goto(inspector.pageUrl);
      const badge = page.locator('tr[data-run-id="stuck"] .badge');
      await badge.waitFor();
      expect(await badge.textContent()).toBe('blocked');
      expect(await badge.getAttribute('title')).toBe(`WORKFLOW_LOAD: ${reason}`);
      await page.locator('tr[data-run-id="stuck"] a.run-link').click();
      const note = page.locator('#run-blocked');
      await note.waitFor();
      expect(await note.textContent()).toContain(reason);
      expect(await page.locator('#run-status').textContent()).toBe('blocked');
    } finally {
      await close();
    }
  }, 60_000);
});
