// Debian's Chromium for the inspector's browser tests: where it is, whether to skip, and one way to launch it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** True where the tests cannot run (no Chromium) and may skip: outside CI; in CI a missing browser is a failure. */
export function skipWithoutChromium(what: string): boolean {
  const skip = !existsSync(chromiumPath) && !process.env.CI;
  if (skip) console.warn(`SKIPPING ${what}: ${chromiumPath} is absent (apt-get install -y chromium)`);
  return skip;
}

/** A headless Chromium with its first page, what that page reported as errors, and one call that takes it all down. */
export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors (and console errors, where asked for), in order: a page test expects none. */
  problems: string[];
  /** Closes the browser and removes its profile; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * A headless Chromium with a fresh profile. `consoleErrors`: count console errors as problems too (a page whose
 * test provokes refusals logs them for each failed request). The flags keep it off the network: this machine refuses outside
 * connections, and Chromium would otherwise try a few at every start.
 */
export async function launchChromium(viewport: { width: number; height: number }, options: { consoleErrors?: boolean } = {}): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'harness-chromium-'));
  const close = async () => {
    try {
      await context?.close();
    } finally {
      rmSync(userDataDir, { recursive: true, force: true });
    }
  };
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      viewport,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    if (options.consoleErrors) {
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
    }
    return { context, page, problems, close };
  } catch (error) {
    await close();
    throw error;
  }
}
