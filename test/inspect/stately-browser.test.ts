// The Stately relay's page in Chromium with no internet (this machine refuses outside connections): instead of a
// blank frame it says the inspector needs internet access and names the local inspector.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStatelyRelay, type StatelyRelay } from '../../src/inspect/stately-relay.ts';
import { launchChromium, skipWithoutChromium, type Browser } from './chromium.ts';

const skip = skipWithoutChromium('Stately relay page offline test');

describe.skipIf(skip)('the Stately relay page offline (Chromium)', () => {
  let relay: StatelyRelay;
  let browser: Browser | undefined;

  beforeAll(async () => {
    relay = await startStatelyRelay({ port: 0 });
    browser = await launchChromium({ width: 1000, height: 700 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  it('says the inspector needs internet access and points at harness inspect, hiding the blank frame', async () => {
    if (browser === undefined) throw new Error('Chromium did not start');
    const page = await browser.context.newPage();
    await page.goto(relay.pageUrl);
    // stately.ai cannot load here: the page gives up waiting for it and says why.
    await page.locator('#offline').waitFor({ state: 'visible', timeout: 45_000 });
    expect(await page.locator('#offline h1').textContent()).toBe('The Stately inspector needs internet access');
    expect(await page.locator('#offline').textContent()).toContain('harness inspect');
    expect(await page.locator('#inspector').isHidden()).toBe(true);
  }, 60_000);
});
