/**
 * `tall slides --pdf FILE`: the deck printed by headless Chromium through its own print stylesheet, one slide per
 * 1280x720 page. The page count is checked against the slide count: a mismatch means a slide overflowed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { buildDeck, type BuiltDeck } from './deck.js';
import { renderDeckPage } from './render.js';
import type { SlideWarning } from './types.js';

export interface PdfResult {
  file: string;
  pages: number;
  slides: number;
  warnings: SlideWarning[];
}

/** Pages in a PDF as Chromium writes it: one `/Type /Page` object each (not `/Pages`, the tree's nodes). */
export function countPdfPages(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
}

export async function printPdf(options: { root: string; file: string; deck?: BuiltDeck; track?: string; browser?: Browser }): Promise<PdfResult> {
  const deck = options.deck ?? (await buildDeck({ root: options.root, track: options.track }));
  const file = path.resolve(options.file);
  const browser = options.browser ?? (await launchChromium());
  const owned = !options.browser;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.setContent(renderDeckPage(deck), { waitUntil: 'load' });
      // The deck script titles the page after the current slide; the PDF is the whole deck.
      await page.evaluate((title) => document.fonts.ready.then(() => void (document.title = title)), deck.title);
      await mkdir(path.dirname(file), { recursive: true });
      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
      await writeFile(file, pdf);
    } finally {
      await page.close();
    }
  } finally {
    if (owned) await browser.close();
  }
  const pages = countPdfPages(await readFile(file));
  const warnings = [...deck.warnings];
  if (pages !== deck.slides.length) {
    warnings.push({ file: path.basename(file), message: `${pages} PDF pages for ${deck.slides.length} slides: a slide probably overflows its page` });
  }
  return { file, pages, slides: deck.slides.length, warnings };
}
