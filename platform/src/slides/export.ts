/**
 * `tall slides --export DIR`: the deck as a static site that works from file:// with no network.
 *   DIR/index.html                        the deck, everything inlined
 *   DIR/labs/<id>-<slug>/README.html      each lab's README (or a placeholder until it is written); with a track,
 *                                         each lab the track shows
 * Existing files in DIR are overwritten, nothing else is deleted.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildDeck, type BuiltDeck } from './deck.js';
import { labPagePaths, renderLabPage } from './labpage.js';
import { labSlideId } from './labs.js';
import { isInside, kitPaths } from './paths.js';
import { renderDeckPage } from './render.js';
import type { SlideWarning } from './types.js';

export interface ExportResult {
  dir: string;
  /** absolute path of the deck page */
  index: string;
  /** every file written, relative to dir */
  files: string[];
  slides: number;
  warnings: SlideWarning[];
}

export class ExportError extends Error {}

export async function exportSite(options: { root: string; outDir: string; deck?: BuiltDeck; track?: string }): Promise<ExportResult> {
  const { root } = options;
  const dir = path.resolve(options.outDir);
  const { slidesDir, labsDir } = kitPaths(root);
  if (dir === path.resolve(root) || isInside(slidesDir, dir) || isInside(labsDir, dir)) {
    throw new ExportError(`will not export into ${dir}: it is (inside) the kit's own content; pick another folder, e.g. dist/slides`);
  }
  const deck = options.deck ?? (await buildDeck({ root, track: options.track }));
  const warnings = [...deck.warnings];
  const files: string[] = [];
  const write = async (rel: string, content: string) => {
    const file = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    files.push(rel);
  };

  await write('index.html', renderDeckPage(deck));

  // Every lab of the manifest (of a track: each lab whose slide it shows), plus any other lab markdown a slide links to.
  const ids = new Set(deck.slides.map((s) => s.id));
  const pages = new Set(labPagePaths(deck.track ? deck.labs.filter((lab) => ids.has(labSlideId(lab.id))) : deck.labs));
  for (const slide of deck.slides) {
    for (const link of slide.links) {
      if (link.target?.startsWith('labs/') && link.target.endsWith('.md')) pages.add(link.target.replace(/\.md$/, '.html'));
    }
  }
  for (const sitePath of pages) {
    const page = await renderLabPage(root, sitePath, deck, deck.labs);
    if (!page) continue;
    warnings.push(...page.warnings);
    await write(sitePath, page.html);
  }
  return { dir, index: path.join(dir, 'index.html'), files, slides: deck.slides.length, warnings };
}
