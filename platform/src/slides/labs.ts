/**
 * The deck's view of the lab path: which labs exist (labs/manifest.yaml), where each lab's README is, and how slides
 * and labs point at each other. The lab engine owns the manifest; the slides only read id, slug and title.
 *
 * Link conventions (documented in slides/README.md):
 *  - a slide links to a lab as `../labs/<id>-<slug>/README.md` (a real relative path, so it works on GitHub too);
 *  - a lab's slide has the anchor `#lab-<id>`;
 *  - a lab README links back as `../../slides/<file>.md#lab-<id>` (see labSlideHref).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { displayPath, kitPaths } from './paths.js';
import type { SlideWarning } from './types.js';

export interface LabEntry {
  id: string;
  slug: string;
  title: string;
  topic?: string;
  feature?: string;
}

export interface LabManifest {
  labs: LabEntry[];
  warnings: SlideWarning[];
}

const ID = /^\d{2}$/;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Reads labs/manifest.yaml. A missing or broken manifest gives no labs and a warning, never an exception. */
export async function readLabManifest(root: string): Promise<LabManifest> {
  const file = kitPaths(root).manifest;
  const shown = displayPath(root, file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { labs: [], warnings: [{ file: shown, message: 'no lab manifest; lab links cannot be checked' }] };
  }
  return parseLabManifest(text, shown);
}

export function parseLabManifest(text: string, shown = 'labs/manifest.yaml'): LabManifest {
  const warnings: SlideWarning[] = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    return { labs: [], warnings: [{ file: shown, line, message: `cannot parse the lab manifest: ${(error as Error).message.split('\n')[0]}` }] };
  }
  const list = (doc as { labs?: unknown } | null)?.labs;
  if (!Array.isArray(list)) return { labs: [], warnings: [{ file: shown, message: 'the lab manifest has no top-level `labs:` list' }] };
  const labs: LabEntry[] = [];
  for (const [i, raw] of list.entries()) {
    const entry = raw as Partial<Record<keyof LabEntry, unknown>>;
    const id = typeof entry.id === 'number' ? String(entry.id).padStart(2, '0') : entry.id;
    if (typeof id !== 'string' || !ID.test(id) || typeof entry.slug !== 'string' || !SLUG.test(entry.slug)) {
      warnings.push({ file: shown, message: `lab #${i + 1}: needs a two-digit string id and a kebab-case slug` });
      continue;
    }
    labs.push({
      id,
      slug: entry.slug,
      title: typeof entry.title === 'string' ? entry.title : `Lab ${id}`,
      topic: typeof entry.topic === 'string' ? entry.topic : undefined,
      feature: typeof entry.feature === 'string' ? entry.feature : undefined,
    });
  }
  return { labs, warnings };
}

/** The lab's folder name: `03-routing-and-load-balancing`. */
export function labDirName(lab: Pick<LabEntry, 'id' | 'slug'>): string {
  return `${lab.id}-${lab.slug}`;
}

/** The repo-relative path of a lab's README: `labs/03-routing-and-load-balancing/README.md`. */
export function labReadmePath(lab: Pick<LabEntry, 'id' | 'slug'>): string {
  return `labs/${labDirName(lab)}/README.md`;
}

/** The stable anchor of the slide that sends learners to a lab: `lab-03`. Also the deck URL hash: `#lab-03`. */
export function labSlideId(labId: string): string {
  return `lab-${labId}`;
}

/** How a slide (in slides/) links to a lab's README. */
export function slideToLabHref(lab: Pick<LabEntry, 'id' | 'slug'>): string {
  return `../${labReadmePath(lab)}`;
}

/** Which lab a repo-relative path belongs to (`labs/03-x/README.md` → the lab with id 03), if any. */
export function labForPath(labs: LabEntry[], repoPath: string): LabEntry | undefined {
  const m = /^labs\/(\d{2})-([a-z0-9-]+)\//.exec(repoPath);
  if (!m) return undefined;
  return labs.find((lab) => lab.id === m[1] && lab.slug === m[2]);
}

/** A lab folder named in a path (`labs/03-x/...`), whether or not the manifest knows it. */
export function labDirInPath(repoPath: string): string | undefined {
  return /^labs\/(\d{2}-[a-z0-9-]+)\//.exec(repoPath)?.[1];
}

/** Minimal view of a deck, so this module does not depend on the renderer. */
export interface DeckForLinks {
  slides: Array<{ id: string; file: string; labs: string[] }>;
}

/**
 * The href a lab's README should use to reach its slide: `../../slides/08-to-the-labs.md#lab-03`.
 * Undefined when the deck has no slide for the lab.
 */
export function labSlideHref(deck: DeckForLinks, labId: string): string | undefined {
  const slide = deck.slides.find((s) => s.id === labSlideId(labId));
  if (!slide) return undefined;
  return `../../${slide.file}#${slide.id}`;
}

export interface LabLinkProblem {
  lab: string;
  direction: 'slide-to-lab' | 'lab-to-slide';
  /** 'missing-readme' is expected while a lab is unwritten; callers decide whether it fails. */
  kind: 'no-slide' | 'slide-does-not-link' | 'missing-readme' | 'readme-does-not-link';
  message: string;
}

/** Slide → lab: every lab in the manifest has a slide `#lab-<id>` that links to `../labs/<id>-<slug>/README.md`. */
export function checkSlidesLinkToLabs(deck: DeckForLinks, labs: LabEntry[]): LabLinkProblem[] {
  const problems: LabLinkProblem[] = [];
  for (const lab of labs) {
    const slide = deck.slides.find((s) => s.id === labSlideId(lab.id));
    if (!slide) {
      problems.push({ lab: lab.id, direction: 'slide-to-lab', kind: 'no-slide', message: `lab ${lab.id} has no slide with anchor #${labSlideId(lab.id)}` });
    } else if (!slide.labs.includes(lab.id)) {
      problems.push({
        lab: lab.id,
        direction: 'slide-to-lab',
        kind: 'slide-does-not-link',
        message: `slide #${slide.id} (${slide.file}) does not link to ${slideToLabHref(lab)}`,
      });
    }
  }
  return problems;
}

/**
 * Lab → slide: the lab's README contains a link to its slide (`../../slides/<file>.md#lab-<id>`).
 * For the lab engine's checks once READMEs exist; a missing README is reported as kind 'missing-readme'.
 */
export async function checkLabsLinkToSlides(root: string, deck: DeckForLinks, labs: LabEntry[]): Promise<LabLinkProblem[]> {
  const problems: LabLinkProblem[] = [];
  for (const lab of labs) {
    const readme = path.join(root, labReadmePath(lab));
    let text: string;
    try {
      text = await readFile(readme, 'utf8');
    } catch {
      problems.push({ lab: lab.id, direction: 'lab-to-slide', kind: 'missing-readme', message: `${labReadmePath(lab)} does not exist yet` });
      continue;
    }
    const href = labSlideHref(deck, lab.id);
    if (!href || !readmeLinksTo(text, href)) {
      problems.push({
        lab: lab.id,
        direction: 'lab-to-slide',
        kind: 'readme-does-not-link',
        message: `${labReadmePath(lab)} should link to its slide: ${href ?? `#${labSlideId(lab.id)} (no such slide)`}`,
      });
    }
  }
  return problems;
}

/** True when markdown text has a link (inline `](href)` or reference `]: href`) to exactly `href`. */
export function readmeLinksTo(markdown: string, href: string): boolean {
  const escaped = href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\]\\(\\s*<?${escaped}>?(?:\\s+["'(][^)]*)?\\)|^\\s*\\[[^\\]]+\\]:\\s*<?${escaped}>?\\s*$`, 'm').test(markdown);
}
