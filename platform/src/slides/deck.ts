/**
 * Reads slides/*.md into a Deck: one markdown-it parse per file, split into slides at top-level rules (`---`),
 * speaker notes pulled out of `::: notes`, links and images rewritten (links.ts), and every problem reported as a
 * warning with file:line. A broken file never stops the deck: its slides become visible error slides.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type MarkdownIt from 'markdown-it';
import Token from 'markdown-it/lib/token.mjs';
import { readLabManifest, type LabEntry } from './labs.js';
import { rewriteInline, type LinkContext, type RewriteResult } from './links.js';
import { createMarkdown, DIRECTIVE_CLOSE, DIRECTIVE_OPEN, DIRECTIVES, directiveName, knownLanguage } from './markdown.js';
import { displayPath, kitPaths } from './paths.js';
import { applyTrack, readTrack } from './tracks.js';
import type { Deck, Slide, SlideWarning } from './types.js';

export interface BuildOptions {
  /** the kit root: slides/ and labs/ live here */
  root: string;
  /** the labs the deck may link to; read from labs/manifest.yaml when omitted */
  labs?: LabEntry[];
  /** extra markdown-it setup (plugins); runs after the deck's own */
  configure?: (md: MarkdownIt) => void;
  /** a track of slides/tracks/: only its slides, in its order, with its parts' times (throws TrackError if unusable) */
  track?: string;
}

export interface BuiltDeck extends Deck {
  labs: LabEntry[];
}

/** A slide before rendering: its tokens, where it came from, and what the author said about it. */
interface Draft {
  file: string;
  abs: string;
  line: number;
  tokens: Token[];
  notes: Token[];
  classes: string[];
  explicitId?: string;
  title: string;
  error?: string;
}

/** The markdown files of the deck, in order: slides/*.md by name, without README.md. */
export async function listSlideFiles(slidesDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(slidesDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.toLowerCase().endsWith('.md') && n.toLowerCase() !== 'readme.md' && !n.startsWith('.'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((n) => path.join(slidesDir, n));
}

export async function buildDeck(options: BuildOptions): Promise<BuiltDeck> {
  const { root } = options;
  const warnings: SlideWarning[] = [];
  let labs = options.labs;
  if (!labs) {
    const manifest = await readLabManifest(root);
    labs = manifest.labs;
    warnings.push(...manifest.warnings);
  }
  let attrsFile = '';
  const md = createMarkdown({ onAttrsError: (e) => warnings.push({ file: attrsFile, message: `malformed {attributes}: ${e.message}` }) });
  options.configure?.(md);

  const files = await listSlideFiles(kitPaths(root).slidesDir);
  if (files.length === 0) warnings.push({ file: displayPath(root, kitPaths(root).slidesDir), message: 'no slides: add slides/*.md' });

  const drafts: Draft[] = [];
  for (const abs of files) {
    const file = displayPath(root, abs);
    attrsFile = file;
    const warn = (line: number | undefined, message: string) => warnings.push({ file, line, message });
    let text: string;
    try {
      text = decodeUtf8(await readFile(abs), warn);
    } catch (error) {
      warn(undefined, `cannot read: ${(error as Error).message}`);
      drafts.push(errorDraft(file, abs, 1, `cannot read: ${(error as Error).message}`));
      continue;
    }
    let tokens: Token[];
    try {
      tokens = md.parse(text, {});
    } catch (error) {
      const line = lineOf(error);
      warn(line, `cannot parse: ${(error as Error).message}`);
      drafts.push(errorDraft(file, abs, line ?? 1, `cannot parse: ${(error as Error).message}`));
      continue;
    }
    lint(tokens, text.split(/\r?\n/), warn);
    drafts.push(...split(tokens, file, abs, warn));
  }

  // Ids first (links between slides need them all), then render.
  const ids = assignIds(drafts);
  const firstOfFile = new Map<string, string>();
  drafts.forEach((d, i) => firstOfFile.has(d.file) || firstOfFile.set(d.file, ids[i]!));
  const anchors = { ids: new Set(ids), firstOfFile };

  const slides: Slide[] = drafts.map((draft, index) => {
    const id = ids[index]!;
    const base = { index, id, title: draft.title, file: draft.file, line: draft.line, classes: draft.classes };
    if (draft.error) return { ...base, html: errorHtml(draft.file, draft.line, draft.error), notesHtml: '', links: [], labs: [], error: draft.error };
    const out: RewriteResult = { links: [], labs: [] };
    const ctx: LinkContext = {
      root,
      file: draft.abs,
      page: 'index.html',
      labs: labs!,
      anchors,
      warn: (line, message) => warnings.push({ file: draft.file, line, message }),
    };
    try {
      let blockLine = draft.line;
      for (const tok of [...draft.tokens, ...draft.notes]) {
        if (tok.map) blockLine = tok.map[0] + 1;
        if (tok.type === 'inline') rewriteInline(tok, ctx, blockLine, out);
      }
      const env = {};
      const html = md.renderer.render(draft.tokens, md.options, env);
      const notesHtml = draft.notes.length ? md.renderer.render(draft.notes, md.options, env) : '';
      return { ...base, html, notesHtml, links: out.links, labs: out.labs };
    } catch (error) {
      const message = `cannot render: ${(error as Error).message}`;
      warnings.push({ file: draft.file, line: draft.line, message });
      return { ...base, html: errorHtml(draft.file, draft.line, message), notesHtml: '', links: [], labs: [], error: message };
    }
  });

  const title = slides[0]?.title || 'Slides';
  const deck: BuiltDeck = { title, slides, warnings, files: files.map((f) => displayPath(root, f)), labs };
  return options.track ? applyTrack(deck, await readTrack(root, options.track)) : deck;
}

/** Invalid UTF-8 is decoded with replacement characters and reported at its line, so the rest still shows. */
function decodeUtf8(buffer: Buffer, warn: (line: number | undefined, message: string) => void): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buffer);
  if (text.includes('\uFFFD')) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    } catch {
      const line = text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
      warn(line, 'not valid UTF-8 (shown with \uFFFD); save the file as UTF-8');
    }
  }
  if (text.includes('\0')) warn(text.slice(0, text.indexOf('\0')).split('\n').length, 'contains NUL bytes; is this a markdown file?');
  return text.replace(/^\uFEFF/, '');
}

function lineOf(error: unknown): number | undefined {
  const line = (error as { line?: unknown }).line;
  return typeof line === 'number' ? line : undefined;
}

const FENCE_CLOSE = /^\s{0,3}(`{3,}|~{3,})\s*$/;
const CONTAINER_CLOSE = /^\s*:{3,}\s*$/;

/** Problems markdown-it accepts silently but an author would want to know about. */
function lint(tokens: Token[], lines: string[], warn: (line: number | undefined, message: string) => void): void {
  for (const tok of tokens) {
    const line = tok.map ? tok.map[0] + 1 : undefined;
    if (tok.type === DIRECTIVE_OPEN) {
      const name = directiveName(tok.info);
      if (!DIRECTIVES[name]) warn(line, `unknown directive "::: ${name}" (known: ${Object.keys(DIRECTIVES).join(', ')}); shown as a plain box`);
      // markdown-it-container ends the block's map at the closing marker's line; unclosed, at the end of the input.
      if (tok.map && !CONTAINER_CLOSE.test(lines[tok.map[1]] ?? '')) warn(line, `"::: ${name}" is never closed with ":::"; it runs to the end of the file`);
      if (name === 'notes' && tok.level !== 0) warn(line, '"::: notes" must not be nested in another block; these notes stay on the slide');
    } else if (tok.type === 'fence') {
      const lang = directiveName(tok.info);
      // A fence's map includes its closing line; unclosed, it runs to the end of the input.
      if (tok.map && (tok.map[1] - tok.map[0] < 2 || !FENCE_CLOSE.test(lines[tok.map[1] - 1] ?? ''))) {
        warn(line, `code block opened with ${tok.markup} is never closed; it swallows the rest of the file`);
      } else if (!knownLanguage(lang)) {
        warn(line, `unknown code language "${lang}"; shown without highlighting`);
      }
    } else if (tok.type === 'heading_open' && tok.markup === '-') {
      warn(line, '"---" right under a line of text makes that line a heading, not a new slide; leave a blank line before "---"');
    }
  }
}

/** Splits a file's tokens at top-level rules. Attributes on a rule (`--- {#id .class}`) belong to the next slide. */
function split(tokens: Token[], file: string, abs: string, warn: (line: number | undefined, message: string) => void): Draft[] {
  const drafts: Draft[] = [];
  let current: Token[] = [];
  let ruleAttrs: Token | undefined;
  let ruleLine = 1;
  const flush = (atStartOfFile: boolean) => {
    if (current.length === 0) {
      if (!atStartOfFile) warn(ruleLine, 'empty slide (two rules in a row?); skipped');
    } else {
      drafts.push(draftOf(current, ruleAttrs, file, abs));
    }
    current = [];
  };
  let sawRule = false;
  for (const tok of tokens) {
    if (tok.type === 'hr' && tok.level === 0) {
      flush(!sawRule && drafts.length === 0);
      sawRule = true;
      ruleAttrs = tok;
      ruleLine = (tok.map?.[0] ?? 0) + 1;
      continue;
    }
    current.push(tok);
  }
  if (current.length > 0 || sawRule) flush(false);
  return drafts;
}

function draftOf(tokens: Token[], rule: Token | undefined, file: string, abs: string): Draft {
  const body: Token[] = [];
  const notes: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.type === DIRECTIVE_OPEN && tok.level === 0 && directiveName(tok.info) === 'notes') {
      let j = i + 1;
      while (j < tokens.length && !(tokens[j]!.type === DIRECTIVE_CLOSE && tokens[j]!.level === 0)) notes.push(tokens[j++]!);
      i = j;
      continue;
    }
    body.push(tok);
  }
  const line = (tokens.find((t) => t.map)?.map?.[0] ?? 0) + 1;
  const classes = (rule?.attrGet('class') ?? '').split(/\s+/).filter(Boolean);
  let explicitId = rule?.attrGet('id') ?? undefined;
  let title = '';
  const headingAt = body.findIndex((t) => t.type === 'heading_open' && t.level === 0);
  if (headingAt >= 0) {
    const heading = body[headingAt]!;
    title = plainText(body[headingAt + 1]);
    const id = heading.attrGet('id');
    if (id) {
      // The slide carries the id (as the URL hash); leaving it on the heading too would duplicate it in the page.
      explicitId ??= id;
      heading.attrs = (heading.attrs ?? []).filter(([name]) => name !== 'id');
    }
  } else {
    title = plainText(body.find((t) => t.type === 'inline')).slice(0, 60);
  }
  return { file, abs, line, tokens: body, notes, classes, explicitId, title };
}

function plainText(inline: Token | undefined): string {
  if (!inline) return '';
  if (!inline.children) return inline.content;
  return inline.children
    .map((c) => (c.type === 'text' || c.type === 'code_inline' ? c.content : c.type === 'softbreak' || c.type === 'hardbreak' ? ' ' : ''))
    .join('')
    .trim();
}

function errorDraft(file: string, abs: string, line: number, error: string): Draft {
  return { file, abs, line, tokens: [], notes: [], classes: ['error'], title: `Error in ${path.basename(file)}`, error };
}

function errorHtml(file: string, line: number, message: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<div class="slide-error"><h2>This slide could not be shown</h2><p><code>${esc(file)}:${line}</code></p><p>${esc(message)}</p><p>The rest of the deck is fine; fix the file and it reloads.</p></div>\n`;
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}

/** Stable ids: the author's `{#id}`, else the title's slug; duplicates get -2, -3... */
function assignIds(drafts: Draft[]): string[] {
  const taken = new Set<string>(drafts.map((d) => d.explicitId).filter((id): id is string => !!id));
  const ids: string[] = [];
  const used = new Set<string>();
  drafts.forEach((d, i) => {
    if (d.explicitId && !used.has(d.explicitId)) {
      used.add(d.explicitId);
      ids.push(d.explicitId);
      return;
    }
    const base = slugify(d.title) || `slide-${i + 1}`;
    let id = base;
    for (let n = 2; used.has(id) || (taken.has(id) && id !== d.explicitId); n++) id = `${base}-${n}`;
    used.add(id);
    ids.push(id);
  });
  return ids;
}
