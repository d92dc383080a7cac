/**
 * Lab pages: `labs/<id>-<slug>/README.md` rendered as `labs/<id>-<slug>/README.html`, so a slide's "to the lab" link
 * works in the served and exported deck. A lab in the manifest whose README is not written yet gets a placeholder
 * page that says so and leads back to its slide.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { labDirName, labForPath, labSlideId, type LabEntry } from './labs.js';
import { rewriteInline, type LinkContext } from './links.js';
import { createMarkdown } from './markdown.js';
import { isInside, kitPaths } from './paths.js';
import { clientAsset, CSP, escapeHtml, highlightCss } from './render.js';
import type { Deck, SlideWarning } from './types.js';

export interface LabPage {
  /** site path, e.g. labs/03-routing-and-load-balancing/README.html */
  path: string;
  html: string;
  /** false when the README does not exist and this is the placeholder */
  written: boolean;
  warnings: SlideWarning[];
}

/** Site path → markdown path inside the kit, or undefined when the path is not a lab page. */
export function labMarkdownFor(root: string, sitePath: string): string | undefined {
  if (!/^labs\/[\w.-]+(\/[\w.-]+)*\.html$/.test(sitePath) || sitePath.split('/').includes('..')) return undefined;
  const abs = path.join(root, sitePath.replace(/\.html$/, '.md'));
  return isInside(kitPaths(root).labsDir, abs) ? abs : undefined;
}

/** The site paths of every lab README named by the manifest. */
export function labPagePaths(labs: LabEntry[]): string[] {
  return labs.map((lab) => `labs/${labDirName(lab)}/README.html`);
}

export async function renderLabPage(root: string, sitePath: string, deck: Deck, labs: LabEntry[]): Promise<LabPage | undefined> {
  const abs = labMarkdownFor(root, sitePath);
  if (!abs) return undefined;
  const repoPath = sitePath.replace(/\.html$/, '.md');
  const lab = labForPath(labs, repoPath);
  const deckHref = path.posix.relative(path.posix.dirname(sitePath), 'index.html');
  const slideHref = lab && deck.slides.some((s) => s.id === labSlideId(lab.id)) ? `${deckHref}#${labSlideId(lab.id)}` : deckHref;
  const warnings: SlideWarning[] = [];
  const nav = `<nav class="page-nav"><a href="${escapeHtml(slideHref)}">&#8592; back to the slides</a> · <code>${escapeHtml(repoPath)}</code></nav>`;

  if (!existsSync(abs)) {
    if (!lab || path.basename(abs) !== 'README.md') return undefined;
    const body =
      `<h1>Lab ${escapeHtml(lab.id)}: ${escapeHtml(lab.title)}</h1>` +
      `<div class="placeholder"><p>This lab's README is not written yet.</p><p>It will live in <code>${escapeHtml(repoPath)}</code>.</p></div>`;
    return { path: sitePath, html: page(`Lab ${lab.id}: ${lab.title}`, nav, body), written: false, warnings };
  }

  const shown = repoPath;
  const md = createMarkdown({ onAttrsError: (e) => warnings.push({ file: shown, message: `malformed {attributes}: ${e.message}` }) });
  const text = await readFile(abs, 'utf8');
  const tokens = md.parse(text, {});
  const ids = new Set(deck.slides.map((s) => s.id));
  const firstOfFile = new Map<string, string>();
  for (const s of deck.slides) if (!firstOfFile.has(s.file)) firstOfFile.set(s.file, s.id);
  const ctx: LinkContext = {
    root,
    file: abs,
    page: sitePath,
    labs,
    anchors: { ids, firstOfFile },
    warn: (line, message) => warnings.push({ file: shown, line, message }),
  };
  const out = { links: [], labs: [] };
  for (const tok of tokens) if (tok.type === 'inline') rewriteInline(tok, ctx, tok.map ? tok.map[0] + 1 : undefined, out);
  const body = md.renderer.render(tokens, md.options, {});
  const title = tokens.find((t) => t.type === 'inline')?.content ?? repoPath;
  return { path: sitePath, html: page(title, nav, body), written: true, warnings };
}

function page(title: string, nav: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>
${highlightCss()}
${clientAsset('page.css')}
</style>
</head>
<body><div class="page">
${nav}
<main>
${body}
</main>
</div></body>
</html>
`;
}
