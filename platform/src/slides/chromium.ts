/**
 * Finding and starting a headless Chromium for `--pdf` (and the tests). playwright-core drives the system browser;
 * it never downloads one (`npx playwright install` needs the internet). On Debian: .ci/install-browser.sh.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** TALL_CHROMIUM, else the first browser found in the usual places. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TALL_CHROMIUM) return existsSync(env.TALL_CHROMIUM) ? env.TALL_CHROMIUM : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export class ChromiumMissingError extends Error {
  constructor(env: NodeJS.ProcessEnv = process.env) {
    super(
      (env.TALL_CHROMIUM ? `TALL_CHROMIUM=${env.TALL_CHROMIUM} does not exist. ` : 'No Chromium or Chrome found (looked in /usr/bin/chromium and the usual places). ') +
        'Install it (Debian/Ubuntu: sudo .ci/install-browser.sh) or point TALL_CHROMIUM at one. ' +
        'Without a browser: `tall slides --export DIR`, open DIR/index.html and print it from your browser (one slide per page).',
    );
    this.name = 'ChromiumMissingError';
  }
}

export async function launchChromium(executablePath = findChromium()): Promise<Browser> {
  if (!executablePath) throw new ChromiumMissingError();
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
