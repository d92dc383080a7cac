/**
 * The deck as one HTML page: every slide a <section>, the client CSS and JS inlined, images already data: URIs.
 * Nothing is loaded from anywhere else (a Content-Security-Policy makes sure), so the same page works from the
 * server, from file://, and in headless Chromium for the PDF.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HIGHLIGHT_THEME } from './markdown.js';
import type { Deck } from './types.js';

const clientDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'client');
const require = createRequire(import.meta.url);

/** The browser files, read on each render so a change to them shows on the next live reload. */
export function clientAsset(name: 'deck.js' | 'deck.css' | 'page.css'): string {
  return readFileSync(path.join(clientDir, name), 'utf8');
}

export function highlightCss(): string {
  return readFileSync(require.resolve(HIGHLIGHT_THEME), 'utf8');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside <script>. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function inlineScript(js: string): string {
  if (/<\/script/i.test(js)) throw new Error('client script must not contain "</script"');
  return js;
}

/** No network: only inline code and data: images. `connect-src 'self'` lets the live-reload stream through. */
export const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'";

export interface RenderOptions {
  /** the live-reload event stream URL (server only); absent for exported/printed pages */
  live?: string;
  /** footer text on every slide */
  footer?: string;
}

export function renderDeckPage(deck: Deck, options: RenderOptions = {}): string {
  const total = deck.slides.length;
  const footer = escapeHtml(options.footer ?? deck.title);
  const sections = deck.slides
    .map((slide) => {
      const classes = ['slide', ...slide.classes].join(' ');
      const part = slide.part === undefined ? '' : ` data-part="${slide.part}"`;
      const notes = slide.notesHtml ? `\n<aside class="notes">\n${slide.notesHtml}</aside>` : '';
      return (
        `<section class="${escapeHtml(classes)}" data-id="${escapeHtml(slide.id)}" data-index="${slide.index + 1}" ` +
        `data-title="${escapeHtml(slide.title)}" data-source="${escapeHtml(`${slide.file}:${slide.line}`)}"${part} aria-label="${escapeHtml(`Slide ${slide.index + 1}: ${slide.title}`)}">\n` +
        `<div class="slide-body">\n${slide.html}</div>\n` +
        `<footer class="slide-footer"><span class="deck-name">${footer}</span><span class="slide-number">${slide.index + 1} / ${total}</span></footer>` +
        `${notes}\n</section>`
      );
    })
    .join('\n');
  // A track's parts with their minutes: the speaker view paces against them.
  const data = { title: deck.title, slides: total, live: options.live ?? null, track: deck.track ?? null };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="generator" content="tall slides">
<title>${escapeHtml(deck.title)}</title>
<link rel="icon" href="data:,">
<style>
${highlightCss()}
${clientAsset('deck.css')}
</style>
</head>
<body>
<div class="deck-viewport"><main class="deck-stage">
${sections}
</main></div>
<div class="deck-progress" aria-hidden="true"></div>
<nav class="deck-controls" aria-label="Slide controls">
<button type="button" data-action="prev" title="Previous (←)">&#8592;</button>
<span class="deck-status" aria-live="polite"></span>
<button type="button" data-action="next" title="Next (→ or space)">&#8594;</button>
<button type="button" data-action="overview" title="Overview (O)">&#9638;</button>
<button type="button" data-action="notes" title="Notes (N)">Notes</button>
<button type="button" data-action="speaker" title="Speaker view (S)">Speaker</button>
<button type="button" data-action="help" title="Keys (?)">?</button>
</nav>
<div class="notes-panel" aria-live="polite"></div>
<div class="overview" role="list" aria-label="All slides"></div>
<div class="speaker" aria-label="Speaker view">
<div class="speaker-bar"><span class="speaker-timer" title="Time since the speaker view opened">00:00</span>
<button type="button" class="speaker-pause" title="Pause/resume (P)">Pause</button><button type="button" class="speaker-reset" title="Reset (R)">Reset</button>
<span class="speaker-clock"></span><span class="speaker-pace" hidden></span><span class="speaker-source"></span><span class="speaker-position"></span></div>
<div class="speaker-pane speaker-current"><div class="label">Now</div><div class="speaker-frame"></div></div>
<div class="speaker-pane speaker-next"><div class="label">Next</div><div class="speaker-frame"></div></div>
<div class="speaker-pane speaker-notes"><div class="label">Notes</div><div class="notes-body"></div></div>
</div>
<div class="deck-help" role="dialog" aria-label="Keys"><dl>
<dt>→ ↓ space PgDn</dt><dd>next step or slide</dd>
<dt>← ↑ shift+space PgUp</dt><dd>previous step or slide</dd>
<dt>Home / End</dt><dd>first / last slide</dd>
<dt>12 Enter</dt><dd>go to slide 12</dd>
<dt>O or Esc</dt><dd>overview of all slides (arrows + Enter to pick)</dd>
<dt>S</dt><dd>speaker view: notes, next slide, timer, and with a track ahead/behind its plan (P pause, R reset)</dd>
<dt>N</dt><dd>show the speaker notes under the slide (for reading on your own)</dd>
<dt>F</dt><dd>full screen</dd>
<dt>Ctrl+P</dt><dd>print: one slide per page</dd>
</dl></div>
<script type="application/json" id="deck-data">${scriptJson(data)}</script>
<script>
${inlineScript(clientAsset('deck.js'))}
</script>
</body>
</html>
`;
}
