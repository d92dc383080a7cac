import { afterEach, describe, expect, it } from 'vitest';
import { buildDeck } from '../../src/slides/deck.js';
import { checkLabsLinkToSlides, checkSlidesLinkToLabs, labSlideHref, parseLabManifest, readmeLinksTo } from '../../src/slides/labs.js';
import { renderDeckPage } from '../../src/slides/render.js';
import { formatWarning } from '../../src/slides/types.js';
import { scratchKit, SVG, TEST_MANIFEST, type ScratchKit } from './helpers.js';

let kit: ScratchKit | undefined;
afterEach(() => kit?.remove());

function build(files: Record<string, string | Buffer>) {
  kit = scratchKit(files);
  return buildDeck({ root: kit.root });
}

describe('deck: markdown files into slides', () => {
  it('splits at top-level rules, in file-name order, and keeps notes off the slide', async () => {
    const deck = await build({
      'slides/02-b.md': '## Third\n\ntext\n',
      'slides/01-a.md': '# First {#intro}\n\nHello\n\n::: notes\nSay hello.\n:::\n\n---\n\n## Second slide\n\n- a\n- b\n',
      'slides/README.md': '# Not a slide\n',
    });
    expect(deck.warnings).toEqual([]);
    expect(deck.files).toEqual(['slides/01-a.md', 'slides/02-b.md']);
    expect(deck.slides.map((s) => [s.id, s.title, s.file, s.line])).toEqual([
      ['intro', 'First', 'slides/01-a.md', 1],
      ['second-slide', 'Second slide', 'slides/01-a.md', 11],
      ['third', 'Third', 'slides/02-b.md', 1],
    ]);
    const [first] = deck.slides;
    expect(first!.html).toContain('<h1>First</h1>');
    expect(first!.html).not.toContain('Say hello');
    expect(first!.notesHtml).toContain('Say hello.');
    expect(deck.title).toBe('First');
  });

  it('takes classes and ids from attributes on the rule, and does not split at a rule inside code', async () => {
    const deck = await build({
      'slides/01.md': '--- {.title}\n\n# Hi\n\n--- {.section #part-two}\n\n## Part two\n\n```yaml\na: 1\n---\nb: 2\n```\n',
    });
    expect(deck.warnings).toEqual([]);
    expect(deck.slides.map((s) => [s.id, s.classes])).toEqual([
      ['hi', ['title']],
      ['part-two', ['section']],
    ]);
    expect(deck.slides[1]!.html).toContain('<pre class="hljs"><code class="language-yaml">');
  });

  it('gives duplicate titles distinct ids', async () => {
    const deck = await build({ 'slides/01.md': '## Same\n\n---\n\n## Same\n\n---\n\n## Same\n' });
    expect(deck.slides.map((s) => s.id)).toEqual(['same', 'same-2', 'same-3']);
  });

  it('renders columns and callouts with markdown-it-container', async () => {
    const deck = await build({ 'slides/01.md': '## Cols\n\n:::: columns\n::: column\nleft\n:::\n::: column\nright\n:::\n::::\n\n::: callout\nremember\n:::\n' });
    expect(deck.warnings).toEqual([]);
    expect(deck.slides[0]!.html).toMatch(/<div class="columns">\s*<div class="column">\s*<p>left<\/p>/);
    expect(deck.slides[0]!.html).toContain('<div class="callout">');
  });
});

describe('deck: bad input is a warning with file:line, and the rest of the deck renders', () => {
  it('reports an unknown directive and still shows its content', async () => {
    const deck = await build({
      'slides/01.md': '## One\n\n::: sidebar\nkept\n:::\n\n---\n\n## Two\n',
      'slides/02.md': '## Three\n',
    });
    expect(deck.warnings.map(formatWarning)).toEqual([
      'slides/01.md:3: warning: unknown directive "::: sidebar" (known: notes, columns, column, callout, lab, small); shown as a plain box',
    ]);
    expect(deck.slides.map((s) => s.title)).toEqual(['One', 'Two', 'Three']);
    expect(deck.slides[0]!.html).toContain('<p>kept</p>');
  });

  it('reports an unclosed code fence and an unclosed directive', async () => {
    const deck = await build({
      'slides/01.md': '## Fence\n\n```sh\ntall up\n',
      'slides/02.md': '## Box\n\n::: callout\nnever closed\n',
      'slides/03.md': '## Fine\n',
    });
    expect(deck.warnings.map(formatWarning)).toEqual([
      'slides/01.md:3: warning: code block opened with ``` is never closed; it swallows the rest of the file',
      'slides/02.md:3: warning: "::: callout" is never closed with ":::"; it runs to the end of the file',
    ]);
    expect(deck.slides.map((s) => s.title)).toEqual(['Fence', 'Box', 'Fine']);
  });

  it('warns when "---" under text makes a heading instead of a new slide', async () => {
    const deck = await build({ 'slides/01.md': '## A\n\nsome text\n---\n\n## B\n' });
    expect(deck.warnings.map(formatWarning)).toEqual([
      'slides/01.md:3: warning: "---" right under a line of text makes that line a heading, not a new slide; leave a blank line before "---"',
    ]);
  });

  it('warns about an unknown code language and renders it plain', async () => {
    const deck = await build({ 'slides/01.md': '## A\n\n```klingon\nqapla\n```\n' });
    expect(deck.warnings.map(formatWarning)).toEqual(['slides/01.md:3: warning: unknown code language "klingon"; shown without highlighting']);
    expect(deck.slides[0]!.html).toContain('qapla');
  });

  it('shows a placeholder for a missing or remote image, and inlines a present one', async () => {
    const deck = await build({
      'slides/diagrams/ok.svg': SVG,
      'slides/01.md': '## Pictures\n\n![a diagram](diagrams/ok.svg)\n\n![gone](diagrams/nope.svg)\n\n![remote](https://example.com/x.png)\n',
    });
    expect(deck.warnings.map(formatWarning)).toEqual([
      'slides/01.md:5: warning: missing image diagrams/nope.svg (looked for slides/diagrams/nope.svg)',
      'slides/01.md:7: warning: image https://example.com/x.png is remote; the deck never fetches from the internet — save it under slides/diagrams/',
    ]);
    const html = deck.slides[0]!.html;
    expect(html).toContain('src="data:image/svg+xml;base64,');
    expect(html).toContain('<span class="missing-image" role="img" aria-label="gone"><strong>missing image</strong><code>diagrams/nope.svg</code>');
    expect(html).toContain('<strong>image not fetched from the internet</strong>');
    expect(html).not.toContain('https://example.com/x.png"');
  });

  it('reports invalid UTF-8 at its line and renders the rest of the file', async () => {
    const deck = await build({
      'slides/01.md': Buffer.concat([Buffer.from('## Broken\n\nfine line\n\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from(' here\n')]),
      'slides/02.md': '## Next\n',
    });
    expect(deck.warnings.map(formatWarning)).toEqual(['slides/01.md:5: warning: not valid UTF-8 (shown with \uFFFD); save the file as UTF-8']);
    expect(deck.slides.map((s) => s.title)).toEqual(['Broken', 'Next']);
  });

  it('turns a file that fails to parse into a visible error slide', async () => {
    kit = scratchKit({ 'slides/01.md': '## Good\n', 'slides/02.md': '## Bad\n\nBOOM\n', 'slides/03.md': '## Also good\n' });
    const deck = await buildDeck({
      root: kit.root,
      // A plugin that throws on some input stands in for any parser failure.
      configure: (md) =>
        md.core.ruler.push('explode', (state) => {
          if (state.src.includes('BOOM')) throw Object.assign(new Error('plugin exploded'), { line: 3 });
        }),
    });
    expect(deck.warnings.map(formatWarning)).toEqual(['slides/02.md:3: warning: cannot parse: plugin exploded']);
    expect(deck.slides.map((s) => [s.title, s.error ?? null])).toEqual([
      ['Good', null],
      ['Error in 02.md', 'cannot parse: plugin exploded'],
      ['Also good', null],
    ]);
    expect(deck.slides[1]!.html).toContain('slides/02.md:3');
  });

  it('warns about links to slides or lab folders that do not exist', async () => {
    const deck = await build({
      'slides/01.md': '## Links {#links}\n\n[ok](#links) [nope](#missing) [lab](../labs/03-routing-and-load-balancing/README.md) [stray](../labs/42-nowhere/README.md)\n',
    });
    expect(deck.warnings.map(formatWarning)).toEqual([
      'slides/01.md:3: warning: link #missing points at no slide',
      'slides/01.md:3: warning: link ../labs/42-nowhere/README.md: lab folder 42-nowhere is not in labs/manifest.yaml',
      'slides/01.md:3: warning: link ../labs/42-nowhere/README.md: no such file labs/42-nowhere/README.md',
    ]);
    const slide = deck.slides[0]!;
    expect(slide.labs).toEqual(['03']);
    expect(slide.html).toContain('href="labs/03-routing-and-load-balancing/README.html"');
  });

  it('reports a missing manifest but still builds the deck', async () => {
    kit = scratchKit({ 'slides/01.md': '## Alone\n' });
    const { rmSync } = await import('node:fs');
    rmSync(`${kit.root}/labs/manifest.yaml`);
    const deck = await buildDeck({ root: kit.root });
    expect(deck.slides).toHaveLength(1);
    expect(deck.warnings.map(formatWarning)).toEqual(['labs/manifest.yaml: warning: no lab manifest; lab links cannot be checked']);
  });
});

describe('render: one self-contained page', () => {
  it('has every slide, its notes, a CSP that forbids the network, and escapes what it must', async () => {
    const deck = await build({ 'slides/01.md': '## <Tags> & "quotes"\n\n::: notes\nA note\n:::\n\n---\n\n## Two\n' });
    const html = renderDeckPage(deck, { live: '/__live' });
    expect(html).toContain('data-id="tags-quotes"');
    expect(html).toContain('<h2>&lt;Tags&gt; &amp; “quotes”</h2>');
    expect(html).toContain('<aside class="notes">\n<p>A note</p>');
    expect(html).toContain("default-src 'none'; img-src data:");
    expect(html).toContain('<span class="slide-number">2 / 2</span>');
    expect(html).toContain('"live":"/__live"');
    // nothing is loaded from elsewhere
    expect(html).not.toMatch(/<(?:script|img|link)[^>]+\s(?:src|href)="(?!data:)[^"]*"/);
  });
});

describe('labs: the links between slides and labs', () => {
  const deck = {
    slides: [
      { id: 'intro', file: 'slides/01.md', labs: [] },
      { id: 'lab-00', file: 'slides/09-labs.md', labs: ['00'] },
      { id: 'lab-03', file: 'slides/09-labs.md', labs: [] },
    ],
  };
  const labs = parseLabManifest(TEST_MANIFEST).labs;

  it('reads the manifest and reports a broken one', () => {
    expect(labs.map((l) => `${l.id}-${l.slug}`)).toEqual(['00-get-tall', '03-routing-and-load-balancing']);
    expect(parseLabManifest('labs:\n  - { id: 7, slug: Bad Slug }\n').warnings).toEqual([
      { file: 'labs/manifest.yaml', message: 'lab #1: needs a two-digit string id and a kebab-case slug' },
    ]);
    expect(parseLabManifest('labs: [').warnings[0]!.message).toMatch(/^cannot parse the lab manifest/);
  });

  it('finds labs without a slide, or whose slide does not link to them', () => {
    expect(checkSlidesLinkToLabs(deck, labs).map((p) => p.message)).toEqual([
      'slide #lab-03 (slides/09-labs.md) does not link to ../labs/03-routing-and-load-balancing/README.md',
    ]);
    expect(checkSlidesLinkToLabs({ slides: [] }, labs.slice(0, 1))[0]!.kind).toBe('no-slide');
  });

  it('gives a lab README its link back, and checks that the README has it', async () => {
    expect(labSlideHref(deck, '03')).toBe('../../slides/09-labs.md#lab-03');
    expect(labSlideHref(deck, '42')).toBeUndefined();
    expect(readmeLinksTo('See [the slide](../../slides/09-labs.md#lab-03).', '../../slides/09-labs.md#lab-03')).toBe(true);
    expect(readmeLinksTo('[slide]: ../../slides/09-labs.md#lab-03\n', '../../slides/09-labs.md#lab-03')).toBe(true);
    expect(readmeLinksTo('See ../../slides/09-labs.md#lab-03 in text', '../../slides/09-labs.md#lab-03')).toBe(false);
    kit = scratchKit({
      'labs/00-get-tall/README.md': '# Lab 00\n\nNo link back.\n',
      'labs/03-routing-and-load-balancing/README.md': '# Lab 03\n\n[Slides](../../slides/09-labs.md#lab-03)\n',
    });
    expect(await checkLabsLinkToSlides(kit.root, deck, labs)).toEqual([
      {
        lab: '00',
        direction: 'lab-to-slide',
        kind: 'readme-does-not-link',
        message: 'labs/00-get-tall/README.md should link to its slide: ../../slides/09-labs.md#lab-00',
      },
    ]);
  });
});
