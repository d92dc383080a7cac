/**
 * The deck in headless Chromium (playwright-core + the system's Chromium, see .ci/install-browser.sh):
 * keys, hash deep links, overview, speaker view, notes, no console errors, every slide fits its page,
 * live reload, the exported site from file://, and a PDF with one page per slide; steps, and a track's pacing in the
 * speaker view. Screenshots go to __output__/; a table slide, a diagram slide and the paced speaker view also to
 * .tall/artifacts/, which .ci/run prints.
 * One browser for the whole file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from '../../src/slides/chromium.js';
import { buildDeck, type BuiltDeck } from '../../src/slides/deck.js';
import { exportSite } from '../../src/slides/export.js';
import { kitRoot } from '../../src/slides/paths.js';
import { countPdfPages, printPdf } from '../../src/slides/pdf.js';
import { startSlidesServer, type SlidesServer } from '../../src/slides/server.js';
import { listTracks } from '../../src/slides/tracks.js';
import { ARTIFACTS, OUTPUT_DIR, scratchKit, type ScratchKit } from './helpers.js';

const chromiumPath = findChromium();
if (!chromiumPath) {
  console.warn('SKIPPED browser tests for the slides: no Chromium found (install it with .ci/install-browser.sh, or set TALL_CHROMIUM)');
}

describe.skipIf(!chromiumPath)('the deck in headless Chromium', { timeout: 60_000 }, () => {
  const root = kitRoot();
  let browser: Browser;
  let deck: BuiltDeck;
  let server: SlidesServer;
  let context: BrowserContext;
  const problems: string[] = [];

  /** A page that records console errors, page errors and any request leaving loopback, file: or data:. */
  async function open(url: string, ctx: BrowserContext = context): Promise<Page> {
    const page = await ctx.newPage();
    watch(page);
    await page.goto(url);
    await page.waitForFunction(() => document.body.classList.contains('ready'));
    return page;
  }
  function watch(page: Page): void {
    page.on('console', (m) => m.type() === 'error' && problems.push(`console error on ${page.url()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(data:|file:|http:\/\/127\.0\.0\.1:)/.test(r.url())) problems.push(`network request: ${r.url()}`);
    });
  }
  const current = (page: Page) => page.evaluate(() => document.querySelector('.deck-stage > .slide.current')?.getAttribute('data-id'));
  const hash = (page: Page) => page.evaluate(() => decodeURIComponent(location.hash.slice(1)));
  const ids = () => deck.slides.map((s) => s.id);

  beforeAll(async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium(chromiumPath);
    context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    deck = await buildDeck({ root });
    server = await startSlidesServer({ root, port: 0, watch: false });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('moves with the keys and puts each slide in the URL hash', async () => {
    const page = await open(server.url);
    expect(await current(page)).toBe(ids()[0]);
    await page.keyboard.press('ArrowRight');
    expect(await current(page)).toBe(ids()[1]);
    expect(await hash(page)).toBe(ids()[1]);
    expect(await page.locator('.slide.current .slide-number').textContent()).toBe(`2 / ${ids().length}`);
    await page.keyboard.press('Space');
    expect(await current(page)).toBe(ids()[2]);
    await page.keyboard.press('ArrowLeft');
    expect(await current(page)).toBe(ids()[1]);
    await page.keyboard.press('End');
    expect(await current(page)).toBe(ids().at(-1));
    await page.keyboard.press('ArrowRight'); // stays on the last slide
    expect(await current(page)).toBe(ids().at(-1));
    await page.keyboard.press('Home');
    expect(await current(page)).toBe(ids()[0]);
    await page.keyboard.type('12');
    await page.keyboard.press('Enter');
    expect(await current(page)).toBe(ids()[11]);
    await page.close();
  });

  it('opens a deep link, keeps the place on reload, and follows links between slides', async () => {
    const page = await open(`${server.url}#lab-03`);
    expect(await current(page)).toBe('lab-03');
    await page.reload();
    await page.waitForFunction(() => document.body.classList.contains('ready'));
    expect(await current(page)).toBe('lab-03');
    await page.goto(`${server.url}#5`);
    await page.waitForFunction(() => document.querySelector('.slide.current')?.getAttribute('data-index') === '5');
    expect(await current(page)).toBe(ids()[4]);
    await page.goto(`${server.url}#agenda`);
    await page.locator('.slide.current a[href="#symbiosis"]').click();
    // The deck moves on hashchange, after the click returns.
    await page.waitForFunction(() => document.querySelector('.deck-stage > .slide.current')?.getAttribute('data-id') !== 'agenda');
    expect(await current(page)).toBe('symbiosis');
    await page.close();
  });

  it('shows an overview of all slides and jumps to the chosen one', async () => {
    const page = await open(`${server.url}#agenda`);
    await page.keyboard.press('o');
    await expect.poll(() => page.locator('.overview').isVisible()).toBe(true);
    expect(await page.locator('.overview-item').count()).toBe(ids().length);
    expect(await page.locator('.overview-item.selected .caption').textContent()).toBe(`2. ${deck.slides[1]!.title}`);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'overview.png') });
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.overview').isVisible()).toBe(false);
    expect(await current(page)).toBe(ids()[2]);
    await page.keyboard.press('Escape');
    await page.locator('.overview-item').nth(9).click();
    expect(await current(page)).toBe(ids()[9]);
    await page.close();
  });

  it('opens a speaker view with notes, the next slide and a timer, kept in step with the deck, steps too', async () => {
    const page = await open(`${server.url}#what-we-buy`);
    const [speaker] = await Promise.all([page.waitForEvent('popup'), page.keyboard.press('s')]);
    watch(speaker);
    await speaker.waitForFunction(() => document.body.classList.contains('ready'));
    await speaker.setViewportSize({ width: 1280, height: 720 });
    const slide = deck.slides.find((s) => s.id === 'what-we-buy')!;
    const next = deck.slides[slide.index + 1]!;
    expect(new URL(speaker.url()).searchParams.get('view')).toBe('speaker');
    expect(await speaker.locator('.speaker-notes .notes-body').textContent()).toContain('Before the costs, remind the room');
    expect(await speaker.locator('.speaker-current .slide').getAttribute('data-id')).toBe('what-we-buy');
    expect(await speaker.locator('.speaker-next .slide').getAttribute('data-id')).toBe(next.id);
    expect(await speaker.locator('.speaker-position').textContent()).toBe(`${slide.index + 1} / ${ids().length}`);
    const t0 = await speaker.locator('.speaker-timer').textContent();
    expect(t0).toMatch(/^00:0\d$/);
    await expect.poll(() => speaker.locator('.speaker-timer').textContent(), { timeout: 3000 }).not.toBe(t0);

    await page.keyboard.press('ArrowRight'); // the deck moves: the speaker view follows
    await expect.poll(() => speaker.locator('.speaker-current .slide').getAttribute('data-id')).toBe(next.id);
    expect(next.id).toBe('the-bill'); // a steps slide: its seven costs one at a time
    await speaker.keyboard.press('ArrowRight'); // the speaker shows the first cost: so does the deck
    await expect.poll(() => page.locator('.slide.current li:not(.step-pending)').count()).toBe(1);
    expect(await current(page)).toBe('the-bill');
    expect(await speaker.locator('.speaker-current .step-pending').count()).toBe(6); // faded for the speaker, not hidden
    await speaker.screenshot({ path: path.join(OUTPUT_DIR, 'speaker-view.png') });
    await speaker.close();
    await page.close();
  });

  it('shows a steps slide one item at a time with →, whole when coming back with ← and when printed', async () => {
    const page = await open(`${server.url}#the-bill`);
    const shown = () => page.locator('.slide.current li:not(.step-pending)').count();
    const visible = () => page.evaluate(() => Array.from(document.querySelectorAll('.slide.current li')).filter((li) => getComputedStyle(li).visibility === 'visible').length);
    expect(await page.locator('.slide.current li').count()).toBe(7);
    expect(await visible()).toBe(0);
    for (let n = 1; n <= 7; n++) {
      await page.keyboard.press('ArrowRight');
      expect(await shown()).toBe(n);
    }
    expect(await visible()).toBe(7);
    await page.keyboard.press('ArrowRight'); // all seven shown: the next slide, the 30-process table, row by row
    expect(await current(page)).toBe('ops-overhead');
    expect(await page.locator('.slide.current tbody tr.step-pending').count()).toBe(4);
    await page.keyboard.press('ArrowLeft');
    expect(await current(page)).toBe('the-bill');
    expect(await shown()).toBe(7);
    await page.keyboard.press('ArrowLeft'); // back, step by step
    expect(await shown()).toBe(6);
    await page.emulateMedia({ media: 'print' });
    expect(await visible()).toBe(7);
    await page.close();
  });

  it('paces a track in the speaker view: the part, its minutes, ahead or behind the plan', async () => {
    const paced = await startSlidesServer({ root, port: 0, watch: false, track: '90-minutes' });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      await ctx.clock.install();
      const speaker = await open(`${paced.url}?view=speaker#lab-03`, ctx);
      const pace = speaker.locator('.speaker-pace');
      // the plan reaches lab 03 after 45 minutes (2 + 6 + 4 + 20 + 5 + 3 + 5): at 0:00 the speaker is well ahead
      await expect.poll(() => pace.textContent()).toBe('Part 8/9 · Lab 03 · Routing and load balancing · 40 min · plan 45:00 · 45:00 ahead');
      expect(await pace.getAttribute('data-state')).toBe('ahead');
      await speaker.clock.fastForward('50:00');
      await expect.poll(() => pace.getAttribute('data-state')).toBe('behind');
      expect(await pace.textContent()).toMatch(/plan 45:00 · 5:0\d behind$/);
      await speaker.keyboard.press('ArrowRight'); // the closing part starts at 85:00
      await expect.poll(() => pace.textContent()).toMatch(/^Part 9\/9 · Closing · 5 min · plan 85:00 · 3\d:\d\d ahead$/);
      const shot = path.join(ARTIFACTS, 'speaker-view.png');
      await speaker.screenshot({ path: shot });
      console.log(`speaker view (90-minutes track): ${shot}`);
      // the whole deck has no track, so no plan: no pacing shown
      const plain = await open(`${server.url}?view=speaker#lab-03`, ctx);
      expect(await plain.locator('.speaker-pace').isHidden()).toBe(true);
    } finally {
      await ctx.close();
      await paced.close();
    }
  });

  it('shows the notes under the slide for a learner reading alone (N)', async () => {
    const page = await open(`${server.url}#implicit-interfaces`);
    await page.keyboard.press('n');
    await expect.poll(() => page.locator('.notes-panel').isVisible()).toBe(true);
    expect(await page.locator('.notes-panel').textContent()).toContain('consumer-driven contract');
    await page.keyboard.press('n');
    await expect.poll(() => page.locator('.notes-panel').isVisible()).toBe(false);
    await page.close();
  });

  it('fits every slide on its page, loads every image, and saves screenshots of a few', async () => {
    const page = await open(server.url);
    const overflowing: string[] = [];
    for (let i = 0; i < ids().length; i++) {
      const result = await page.evaluate(() => {
        const slide = document.querySelector('.deck-stage > .slide.current') as HTMLElement;
        // the body's box, not the slide's: text spilling into the margin reads as a mistake from the back of the room
        const box = slide.querySelector('.slide-body')!.getBoundingClientRect();
        const footerTop = slide.querySelector('.slide-footer')!.getBoundingClientRect().top;
        const bad: string[] = [];
        for (const el of Array.from(slide.querySelectorAll<HTMLElement>('.slide-body *'))) {
          const r = el.getBoundingClientRect();
          if (r.height === 0) continue;
          if (r.bottom > footerTop + 1 || r.right > box.right + 1) bad.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}"`);
          if (/^(PRE|TABLE)$/.test(el.tagName) && el.scrollWidth > el.clientWidth + 1) bad.push(`${el.tagName.toLowerCase()} is wider than the slide`);
        }
        for (const img of Array.from(slide.querySelectorAll('img'))) if (!img.complete || img.naturalWidth === 0) bad.push(`image ${img.getAttribute('data-src')} did not load`);
        return { id: slide.dataset.id, bad: [...new Set(bad)].slice(0, 3) };
      });
      expect(result.id).toBe(ids()[i]);
      if (result.bad.length) overflowing.push(`#${result.id}: ${result.bad.join('; ')}`);
      // by slide, not by key: → walks through a slide's steps first
      const nextId = ids()[i + 1];
      if (nextId) {
        await page.evaluate((id) => void (location.hash = id), nextId);
        await expect.poll(() => current(page)).toBe(nextId);
      }
    }
    expect(overflowing).toEqual([]);

    const shots: string[] = [];
    for (const id of ['title', 'the-bill', 'height-chart', 'failover', 'routing-tall', 'lab-06']) {
      await page.goto(`${server.url}#${id}`);
      await expect.poll(() => current(page)).toBe(id);
      const file = path.join(OUTPUT_DIR, `slide-${id}.png`);
      await page.screenshot({ path: file });
      shots.push(file);
    }
    for (const [name, id] of [['slide-table', 'env-provisioning'], ['slide-diagram', 'failover-tall']]) {
      await page.goto(`${server.url}#${id}`);
      await expect.poll(() => current(page)).toBe(id);
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
      shots.push(path.join(ARTIFACTS, `${name}.png`));
    }
    console.log(`slide screenshots:\n  ${shots.join('\n  ')}\n  ${path.join(OUTPUT_DIR, 'overview.png')}\n  ${path.join(OUTPUT_DIR, 'speaker-view.png')}`);
    await page.close();
  });

  it('works as an exported site opened from file://, lab pages included', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tall-deck-'));
    try {
      const result = await exportSite({ root, outDir: dir });
      expect(result.warnings).toEqual([]);
      const page = await open(`${pathToFileURL(result.index).href}#lab-05`);
      expect(await current(page)).toBe('lab-05');
      await page.keyboard.press('ArrowLeft');
      expect(await current(page)).toBe('lab-04');
      await page.keyboard.press('ArrowRight');
      await page.locator('.slide.current a[href$="README.html"]').click();
      await page.waitForURL(/labs\/05-testability\/README\.html$/);
      expect(await page.locator('h1').textContent()).toContain('Lab 05');
      await page.locator('a', { hasText: 'back to the slides' }).click();
      await page.waitForFunction(() => document.body.classList.contains('ready'));
      expect(await current(page)).toBe('lab-05');
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints one PDF page per slide', async () => {
    const file = path.join(OUTPUT_DIR, 'deck.pdf');
    const result = await printPdf({ root, file, deck, browser });
    const pages = countPdfPages(readFileSync(file));
    console.log(`PDF: ${file}: ${pages} pages for ${deck.slides.length} slides`);
    expect(result.pages).toBe(pages);
    expect(pages).toBe(deck.slides.length);
    expect(result.warnings).toEqual([]);
  });

  it('exports and prints each track: its slides only, one PDF page each, no warnings', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tall-track-'));
    try {
      for (const track of await listTracks(root)) {
        const exported = await exportSite({ root, outDir: path.join(dir, track), track });
        expect(exported.warnings, track).toEqual([]);
        const file = path.join(ARTIFACTS, `deck-${track}.pdf`);
        const pdf = await printPdf({ root, file, track, browser });
        expect(pdf.warnings, track).toEqual([]);
        expect(pdf.pages, track).toBe(exported.slides);
        console.log(`track ${track}: ${exported.slides} slides exported and printed to ${file}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reloads the page when a slide file changes, and stays on the same slide', async () => {
    let kit: ScratchKit | undefined;
    let live: SlidesServer | undefined;
    try {
      kit = scratchKit({ 'slides/01.md': '# One\n\n---\n\n## Two {#two}\n\nbefore the edit\n\n---\n\n## Three\n' });
      live = await startSlidesServer({ root: kit.root, port: 0 });
      const page = await open(`${live.url}#two`);
      expect(await page.locator('.slide.current p').textContent()).toBe('before the edit');
      const reloaded = page.waitForEvent('load');
      kit.write('slides/01.md', '# One\n\n---\n\n## Two {#two}\n\nafter the edit\n\n---\n\n## Three\n');
      await reloaded;
      await page.waitForFunction(() => document.body.classList.contains('ready'));
      expect(await current(page)).toBe('two');
      expect(await page.locator('.slide.current p').textContent()).toBe('after the edit');
      await page.close();
    } finally {
      await live?.close();
      kit?.remove();
    }
  });

  it('logged no console errors and made no network requests beyond loopback and file://', () => {
    expect(problems).toEqual([]);
  });
});
