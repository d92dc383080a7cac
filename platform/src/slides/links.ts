/**
 * Links and images inside rendered markdown. One site, two kinds of page:
 *   index.html                      the deck (all of slides/*.md)
 *   labs/<id>-<slug>/README.html    a lab's README, rendered (served by `tall slides`, written by --export)
 * Markdown keeps real repository paths (`../labs/03-x/README.md`, `../../slides/08-to-the-labs.md#lab-03`), so the same
 * files read well on GitHub; here they are rewritten to the site's pages. Images are inlined as data: URIs, so the
 * page is self-contained; a missing or remote image becomes a visible placeholder and a warning.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Token from 'markdown-it/lib/token.mjs';
import { labDirInPath, labForPath, type LabEntry } from './labs.js';
import { displayPath, isInside, kitPaths } from './paths.js';
import type { SlideLink } from './types.js';

export interface LinkContext {
  root: string;
  /** absolute path of the markdown file being rendered */
  file: string;
  /** site path of the page being produced: 'index.html' or 'labs/03-x/README.html' */
  page: string;
  labs: LabEntry[];
  /** what the deck knows: every slide id, and the first slide of each file (repo-relative path) */
  anchors: { ids: Set<string>; firstOfFile: Map<string, string> };
  warn(line: number | undefined, message: string): void;
}

export interface RewriteResult {
  links: SlideLink[];
  labs: string[];
}

const IMAGE_TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

const dataUriCache = new Map<string, { mtimeMs: number; uri: string }>();

function dataUri(file: string): string {
  const { mtimeMs } = statSync(file);
  const cached = dataUriCache.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.uri;
  const type = IMAGE_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const uri = `data:${type};base64,${readFileSync(file).toString('base64')}`;
  dataUriCache.set(file, { mtimeMs, uri });
  return uri;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The placeholder that stands where an image could not be shown. */
export function missingImageHtml(src: string, alt: string, reason: string): string {
  return (
    `<span class="missing-image" role="img" aria-label="${escapeHtml(alt || 'image')}">` +
    `<strong>${escapeHtml(reason)}</strong><code>${escapeHtml(src)}</code>${alt ? `<em>${escapeHtml(alt)}</em>` : ''}</span>`
  );
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function splitHash(href: string): { pathPart: string; hash?: string } {
  const i = href.indexOf('#');
  return i < 0 ? { pathPart: href } : { pathPart: href.slice(0, i), hash: href.slice(i + 1) };
}

function relativeHref(fromPage: string, toPage: string): string {
  const rel = path.posix.relative(path.posix.dirname(fromPage), toPage);
  return rel === '' ? path.posix.basename(toPage) : rel;
}

/** Rewrites the links and images of one block's inline tokens in place. `line` is the block's 1-based line. */
export function rewriteInline(inline: Token, ctx: LinkContext, line: number | undefined, out: RewriteResult): void {
  const children = inline.children;
  if (!children) return;
  const { slidesDir, labsDir } = kitPaths(ctx.root);
  for (let i = 0; i < children.length; i++) {
    const tok = children[i]!;
    if (tok.type === 'link_open') {
      const href = tok.attrGet('href') ?? '';
      rewriteLink(tok, href);
    } else if (tok.type === 'image') {
      const src = tok.attrGet('src') ?? '';
      const alt = tok.content;
      let reason: string | undefined;
      if (src.startsWith('data:')) continue;
      if (SCHEME.test(src) || src.startsWith('//')) {
        reason = 'image not fetched from the internet';
        ctx.warn(line, `image ${src} is remote; the deck never fetches from the internet — save it under slides/diagrams/`);
      } else {
        const abs = path.resolve(path.dirname(ctx.file), decodeURI(splitHash(src).pathPart));
        const shown = displayPath(ctx.root, abs);
        if (!existsSync(abs) || !statSync(abs).isFile()) {
          reason = 'missing image';
          ctx.warn(line, `missing image ${src} (looked for ${shown})`);
        } else if (!IMAGE_TYPES[path.extname(abs).toLowerCase()]) {
          reason = 'not an image';
          ctx.warn(line, `${src} is not an image the deck can show (svg, png, jpg, gif, webp)`);
        } else {
          tok.attrSet('src', dataUri(abs));
          tok.attrSet('data-src', src);
          continue;
        }
      }
      const placeholder = new Token('html_inline', '', 0);
      placeholder.content = missingImageHtml(src, alt, reason);
      children[i] = placeholder;
    }
  }

  function rewriteLink(tok: Token, href: string): void {
    if (href.startsWith('#')) {
      out.links.push({ href, hash: href.slice(1) });
      if (ctx.page === 'index.html' && href.length > 1 && !ctx.anchors.ids.has(decodeURIComponent(href.slice(1)))) {
        ctx.warn(line, `link ${href} points at no slide`);
      }
      return;
    }
    if (SCHEME.test(href) || href.startsWith('//')) {
      out.links.push({ href });
      if (/^https?:/i.test(href) || href.startsWith('//')) {
        tok.attrSet('target', '_blank');
        tok.attrSet('rel', 'noopener');
      }
      return;
    }
    const { pathPart, hash } = splitHash(href);
    const abs = path.resolve(path.dirname(ctx.file), decodeURI(pathPart));
    const target = displayPath(ctx.root, abs);
    out.links.push({ href, target, hash });
    const suffix = hash !== undefined ? `#${hash}` : '';
    if (isInside(slidesDir, abs) && abs.endsWith('.md') && path.basename(abs).toLowerCase() !== 'readme.md') {
      const anchor = hash ?? ctx.anchors.firstOfFile.get(target);
      if (!existsSync(abs)) ctx.warn(line, `link ${href}: no such slide file ${target}`);
      else if (hash !== undefined && !ctx.anchors.ids.has(hash)) ctx.warn(line, `link ${href}: no slide #${hash} in the deck`);
      const deckHref = ctx.page === 'index.html' ? '' : relativeHref(ctx.page, 'index.html');
      tok.attrSet('href', `${deckHref}${anchor ? `#${anchor}` : ''}` || '#');
      return;
    }
    if (isInside(labsDir, abs) && abs.endsWith('.md')) {
      const lab = labForPath(ctx.labs, target);
      const dir = labDirInPath(target);
      if (lab) {
        if (!out.labs.includes(lab.id)) out.labs.push(lab.id);
      } else if (dir) {
        ctx.warn(line, `link ${href}: lab folder ${dir} is not in labs/manifest.yaml`);
      }
      // A manifest lab's README may not be written yet; the site shows a placeholder page for it.
      if (!lab && !existsSync(abs)) ctx.warn(line, `link ${href}: no such file ${target}`);
      tok.attrSet('href', relativeHref(ctx.page, target.replace(/\.md$/, '.html')) + suffix);
      return;
    }
    if (!existsSync(abs)) ctx.warn(line, `broken link ${href}: no such file ${target}`);
    else ctx.warn(line, `link ${href} leaves the slide site (${target} is not a slide or lab page); link a URL instead`);
  }
}
