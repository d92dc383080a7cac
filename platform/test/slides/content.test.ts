/**
 * The session's real deck, slides/*.md, against the session's outline (kept outside this repository) and the lab manifest.
 * If one of these fails after an edit, the deck no longer teaches the whole session.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDeck, type BuiltDeck } from '../../src/slides/deck.js';
import { checkLabsLinkToSlides, checkSlidesLinkToLabs, labSlideHref, labSlideId, readLabManifest, slideToLabHref } from '../../src/slides/labs.js';
import { kitRoot } from '../../src/slides/paths.js';
import type { Slide } from '../../src/slides/types.js';

const root = kitRoot();
let deck: BuiltDeck;
beforeAll(async () => {
  deck = await buildDeck({ root });
});

const byId = (id: string): Slide => {
  const slide = deck.slides.find((s) => s.id === id);
  if (!slide) throw new Error(`no slide #${id}`);
  return slide;
};
const text = (slide: Slide) => `${slide.title}\n${slide.html}`.replace(/<[^>]+>/g, ' ').replace(/&[a-z]+;/g, ' ');

/** The session's outline, point by point, and the slides that teach each point. */
const OUTLINE: Record<string, string[]> = {
  '1. microservices are not a free lunch': [
    'not-a-free-lunch',
    'ops-overhead',
    'devops-skills',
    'implicit-interfaces',
    'duplication',
    'distributed-complexity',
    'asynchronicity',
    'testability',
  ],
  '2. you must be this tall': ['must-be-this-tall', 'rapid-provisioning', 'basic-monitoring', 'rapid-deployment', 'devops-culture'],
  '3. it takes a platform': ['it-takes-a-platform', 'netflix-oss', 'cloud-foundry', 'cf-and-bosh', 'tall-platform'],
  '4. a symbiotic relationship': ['symbiosis', 'each-makes-the-other-viable'],
  '5. platform features': ['platform-features', 'env-provisioning', 'scaling', 'failover', 'routing', 'data-services', 'monitoring'],
  '6. better caught than taught': ['to-the-labs', 'lab-path'],
};

describe('the deck teaches the whole session', () => {
  it('renders without a single warning', () => {
    expect(deck.warnings).toEqual([]);
    expect(deck.slides.length).toBeGreaterThan(50);
  });

  it.each(Object.entries(OUTLINE))('has the slides for %s', (_point, ids) => {
    for (const id of ids) expect(byId(id).error).toBeUndefined();
  });

  it('names every cost of "not a free lunch" in the words of the outline', () => {
    const bill = text(byId('the-bill'));
    for (const cost of [
      'operations overhead',
      'DevOps skills',
      'Implicit interfaces',
      'Duplication of effort',
      'Distributed-system complexity',
      'Asynchronicity is difficult',
      'Testability challenges',
    ]) {
      expect(bill).toContain(cost);
    }
  });

  it('names the Netflix OSS pieces the outline lists', () => {
    const netflix = text(byId('netflix-oss'));
    for (const piece of ['Eureka', 'Ribbon', 'Hystrix', 'Zuul', 'Atlas', 'Chaos Monkey', 'Spinnaker']) expect(netflix).toContain(piece);
  });

  it('explains each platform feature on Cloud Foundry, Kubernetes, Docker Compose and Netflix OSS, and in tall', () => {
    for (const feature of ['env-provisioning', 'scaling', 'failover', 'routing', 'data-services', 'monitoring']) {
      const comparison = text(byId(feature));
      for (const platform of ['Cloud Foundry', 'Kubernetes', 'Docker Compose', 'Netflix OSS']) expect(comparison, `#${feature}`).toContain(platform);
      const ours = byId(`${feature}-tall`);
      expect(ours.title).toMatch(/tall/);
      expect(ours.links.some((l) => /^#lab-\d\d$/.test(l.href)), `#${feature}-tall names its lab`).toBe(true);
    }
    expect(text(byId('data-services'))).toContain('BOSH');
  });

  it('gives each live demo its steps and the output to expect, in the notes', () => {
    for (const id of ['tall-commands', 'scaling-tall', 'failover-tall', 'beyond-one-machine']) {
      const notes = byId(id).notesHtml;
      expect(notes, `#${id}`).toMatch(/<strong>Demo<\/strong>/);
      expect(notes, `#${id} names what to type`).toMatch(/<code>npx tall /);
      expect(notes, `#${id} says what it prints`).toMatch(/✔ /);
    }
  });

  it('has speaker notes on every slide', () => {
    const without = deck.slides.filter((s) => s.notesHtml.trim() === '').map((s) => `${s.file}:${s.line} #${s.id}`);
    expect(without).toEqual([]);
  });

  it('cites its sources by name and URL, as text', () => {
    const all = deck.slides.map(text).join('\n');
    for (const [name, url] of [
      ['MicroservicePrerequisites', 'https://martinfowler.com/bliki/MicroservicePrerequisites.html'],
      ['Not a Free Lunch', 'http://highscalability.com/blog/2014/4/8/microservices-not-a-free-lunch.html'],
      ['Netflix', 'https://netflix.github.io/'],
      ['Cloud Foundry', 'https://docs.cloudfoundry.org/'],
      ['BOSH', 'https://bosh.io/docs/'],
    ]) {
      expect(all).toContain(name);
      expect(all).toContain(url);
    }
  });

  it('uses only diagrams drawn for the deck, and every diagram is used', () => {
    const dir = path.join(root, 'slides', 'diagrams');
    const svgs = readdirSync(dir).filter((f) => f.endsWith('.svg'));
    const used = new Set<string>();
    for (const slide of deck.slides) {
      for (const m of slide.html.matchAll(/<img [^>]*data-src="([^"]+)"/g)) used.add(m[1]!);
      expect(/<img [^>]*\ssrc="(?!data:)/.test(slide.html), `${slide.id}: image not inlined`).toBe(false);
    }
    expect([...used].sort()).toEqual(svgs.map((f) => `diagrams/${f}`).sort());
    for (const file of svgs) {
      const svg = readFileSync(path.join(dir, file), 'utf8');
      expect(svg, file).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* viewBox=/);
      expect(svg, file).toMatch(/<title[^>]*>[^<]+<\/title>/);
      expect(svg, file).not.toMatch(/(?:href|src)="(?!#)/); // nothing external
    }
  });
});

describe('slides and labs link both ways', () => {
  it('the manifest has the 14 labs of the lab path, each with the agreed fields', async () => {
    const { labs, warnings } = await readLabManifest(root);
    expect(warnings).toEqual([]);
    expect(labs.map((l) => l.id)).toEqual(['00', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13']);
    const raw = readFileSync(path.join(root, 'labs', 'manifest.yaml'), 'utf8');
    const { parse } = await import('yaml');
    for (const entry of (parse(raw) as { labs: Array<Record<string, unknown>> }).labs) {
      // The lab engine may add fields (points, timeouts); these five are what the slides rely on.
      expect(Object.keys(entry)).toEqual(expect.arrayContaining(['id', 'slug', 'title', 'topic', 'feature']));
      expect(typeof entry.id).toBe('string');
    }
  });

  it('every lab in the manifest has a "to the lab" slide that links to it', async () => {
    const { labs } = await readLabManifest(root);
    expect(checkSlidesLinkToLabs(deck, labs)).toEqual([]);
    for (const lab of labs) {
      const slide = byId(labSlideId(lab.id));
      expect(slide.links.map((l) => l.href)).toContain(slideToLabHref(lab));
      expect(slide.title).toContain(`Lab ${lab.id}`);
      const body = text(slide);
      expect(body, `#${slide.id} goal`).toMatch(/Goal:/);
      expect(slide.html, `#${slide.id} first command`).toMatch(/First command[\s\S]*<pre class="hljs"><code class="language-sh">/);
    }
  });

  it('every lab README that exists links back to its slide', async () => {
    const { labs } = await readLabManifest(root);
    const problems = await checkLabsLinkToSlides(root, deck, labs);
    // Lab READMEs are written by the lab issues; until then a missing README is expected, a wrong one is not.
    expect(problems.filter((p) => p.kind !== 'missing-readme')).toEqual([]);
    expect(labSlideHref(deck, '03')).toBe('../../slides/06-to-the-labs.md#lab-03');
  });
});
