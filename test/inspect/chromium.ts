// Debian's Chromium for the inspector's browser tests: where it is, whether to skip, and one way to launch it.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** True where the tests cannot run (no Chromium) and may skip: outside CI; in CI a missing browser is a failure. */
export function skipWithoutChromium(what: string): boolean {
  const skip = !existsSync(chromiumPath) && !process.env.CI;
  if (skip) console.warn(`SKIPPING ${what}: ${chromiumPath} is absent (apt-get install -y chromium)`);
  return skip;
}

/**
 * A headless Chromium with a fresh profile (remove `userDataDir` afterwards). The flags keep it off the network: this
 * machine refuses outside connections, and Chromium would otherwise try a few at every start.
 */
export async function launchChromium(viewport: { width: number; height: number }): Promise<{ context: BrowserContext; userDataDir: string }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'harness-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { context, userDataDir };
}
