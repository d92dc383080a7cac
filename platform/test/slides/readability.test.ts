/**
 * The deck read from the back of a room: in Chromium at 1280x720, every slide's body text is at least 32 px (24 pt),
 * code 24 px, tables, small print and diagram labels at least 18 px. One browser for the whole file.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from '../../src/slides/chromium.js';
import { kitRoot } from '../../src/slides/paths.js';
import { startSlidesServer, type SlidesServer } from '../../src/slides/server.js';
import { measureSlides, type TextSizes } from './measure.js';

/**
 * 24 pt for body text; code (inline or in blocks) 24 px, as monospace reads larger than its size; 18 px for what is
 * read less often (a table's cells, a diagram's labels, sources).
 */
const FLOOR_PX = { body: 32, code: 24, table: 18, small: 18, diagram: 18 } as const;

const chromiumPath = findChromium();
const root = kitRoot();

describe.skipIf(!chromiumPath)('the deck is readable from the back of the room', { timeout: 60_000 }, () => {
  let browser: Browser;
  let server: SlidesServer;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium(chromiumPath);
    server = await startSlidesServer({ root, port: 0, watch: false });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.classList.contains('ready'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('draws no text below the floor on any slide', async () => {
    const sizes: TextSizes[] = await page.evaluate(measureSlides);
    expect(sizes.length).toBe(server.deck().slides.length);
    const smallest = Object.fromEntries(Object.keys(FLOOR_PX).map((kind) => [kind, Math.min(...sizes.map((s) => s[kind as keyof typeof FLOOR_PX]?.px ?? Infinity))]));
    console.log(`smallest text at 1280x720, px: ${JSON.stringify(smallest)}`);
    const problems = sizes.flatMap((s) =>
      (Object.keys(FLOOR_PX) as (keyof typeof FLOOR_PX)[])
        .filter((kind) => s[kind] && s[kind]!.px < FLOOR_PX[kind])
        .map((kind) => `#${s.id}: ${kind} text at ${s[kind]!.px} px (floor ${FLOOR_PX[kind]}): "${s[kind]!.text}"`),
    );
    expect(problems).toEqual([]);
    // the measurement sees what it must: diagrams and tables are there to be measured
    expect(sizes.filter((s) => s.diagram).length).toBeGreaterThan(8);
    expect(sizes.filter((s) => s.table).length).toBeGreaterThan(5);
  });
});
