/** Tracks: slides/tracks/<name>.yaml cuts the deck to fit the time (tracks.ts); the kit's own three tracks. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildDeck, type BuiltDeck } from '../../src/slides/deck.js';
import { kitRoot } from '../../src/slides/paths.js';
import { listTracks, notesMinutes, parseTrack, TrackError } from '../../src/slides/tracks.js';
import { scratchKit, type ScratchKit } from './helpers.js';

let kit: ScratchKit | undefined;
afterEach(() => kit?.remove());

const SLIDES = {
  'slides/01-a.md': '# One {#one}\n\n---\n\n## Two {#two}\n\n--- {.extra}\n\n## Three {#three}\n',
  'slides/02-b.md': '## Four {#four}\n\n---\n\n## Five {#five}\n',
};

async function cut(track: string): Promise<BuiltDeck> {
  kit = scratchKit({ ...SLIDES, 'slides/tracks/t.yaml': track });
  return buildDeck({ root: kit.root, track: 't' });
}

async function problem(track: string): Promise<string> {
  const error = await cut(track).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TrackError);
  return (error as Error).message;
}

describe('a track cuts the deck', () => {
  it('keeps only its slides, in its order, renumbered, each in its part', async () => {
    const deck = await cut('title: T\nparts:\n  - title: First\n    minutes: 5\n    slides: [four, one]\n  - title: Second\n    slides: [two]\n');
    expect(deck.slides.map((s) => [s.id, s.index, s.part])).toEqual([['four', 0, 0], ['one', 1, 0], ['two', 2, 1]]);
    expect(deck.track).toEqual({ name: 't', title: 'T', parts: [{ title: 'First', minutes: 5, first: 0, count: 2 }, { title: 'Second', minutes: undefined, first: 2, count: 1 }] });
  });

  it('takes a file as its slides listed nowhere else in the track, without the classes it leaves out', async () => {
    const deck = await cut('title: T\nleave_out: [extra]\nparts:\n  - title: A\n    slides: [01-a.md, 02-b.md]\n  - title: B\n    slides: [four]\n');
    expect(deck.slides.map((s) => s.id)).toEqual(['one', 'two', 'five', 'four']);
  });

  it('refuses unknown or repeated slides, and parts left empty, naming the file and the entry', async () => {
    expect(await problem('title: T\nparts:\n  - title: A\n    slides: [one, nope]\n')).toMatch(/slides\/tracks\/t\.yaml: parts\[0\]\.slides\[1\]: no slide "nope"/);
    expect(await problem('title: T\nparts:\n  - title: A\n    slides: [one, two, one]\n')).toMatch(/parts\[0\]\.slides\[2\]: #one is listed twice/);
    expect(await problem('title: T\nleave_out: [extra]\nparts:\n  - title: A\n    slides: [one, two]\n  - title: B\n    slides: [01-a.md]\n')).toMatch(/part "B" has no slides left/);
  });

  it('says which tracks there are when the name is unknown', async () => {
    kit = scratchKit({ ...SLIDES, 'slides/tracks/short.yaml': 'title: S\nparts: [{ title: A, slides: [one] }]\n', 'slides/tracks/long.yml': 'title: L\nparts: [{ title: A, slides: [one] }]\n' });
    expect(await listTracks(kit.root)).toEqual(['long', 'short']);
    await expect(buildDeck({ root: kit.root, track: 'medium' })).rejects.toThrow('no track "medium"; the tracks are long, short');
    expect((await buildDeck({ root: kit.root, track: 'long' })).slides.map((s) => s.id)).toEqual(['one']);
  });

  it('validates the manifest against its schema, every problem at its line', () => {
    const bad = (text: string) => {
      try {
        parseTrack(text, 't', 'slides/tracks/t.yaml');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const message = bad('title: T\nparts:\n  - title: A\n    minutes: ten\n    slides: [one]\n  - title: B\n    slide: [two]\n');
    expect(message).toContain('slides/tracks/t.yaml:4: parts[0].minutes must be number');
    expect(message).toMatch(/slides\/tracks\/t\.yaml:6: parts\[1\] must have required property 'slides'/);
    expect(message).toMatch(/parts\[1\] must NOT have additional properties \("slide"; known: title, minutes, slides\)/);
    expect(bad('parts: [}')).toMatch(/^slides\/tracks\/t\.yaml:1: /);
  });
});

describe("the kit's tracks", () => {
  const root = kitRoot();
  const track = (name: string) => buildDeck({ root, track: name });
  const minutes = (deck: BuiltDeck) => deck.track!.parts.reduce((n, p) => n + (p.minutes ?? 0), 0);

  it('are the three formats, each usable', async () => {
    expect(await listTracks(root)).toEqual(['90-minutes', 'full-day', 'self-paced']);
  });

  it('90 minutes: about 25 slides, lab 00 and one more lab, every part timed, 90 minutes in all', async () => {
    const deck = await track('90-minutes');
    expect(deck.slides.length).toBeGreaterThanOrEqual(20);
    expect(deck.slides.length).toBeLessThanOrEqual(30);
    const labs = deck.slides.filter((s) => /^lab-\d\d$/.test(s.id)).map((s) => s.id);
    expect(labs[0]).toBe('lab-00');
    expect(labs).toHaveLength(2);
    expect(deck.track!.parts.every((p) => p.minutes)).toBe(true);
    expect(minutes(deck)).toBe(90);
    // what is said must fit what is left once the labs have their time
    const labMinutes = deck.track!.parts.filter((p) => deck.slides.slice(p.first, p.first + p.count).some((s) => labs.includes(s.id))).reduce((n, p) => n + p.minutes!, 0);
    expect(notesMinutes(deck.slides)).toBeLessThan(90 - labMinutes);
    expect(deck.slides.some((s) => s.classes.includes('extra'))).toBe(false);
  });

  it('full day: every slide but the extras and the labs for after; each lab right after the idea it practises', async () => {
    const [deck, whole] = await Promise.all([track('full-day'), buildDeck({ root })]);
    expect(minutes(deck)).toBeGreaterThan(300);
    expect(minutes(deck)).toBeLessThanOrEqual(420);
    const left = whole.slides.filter((s) => !deck.slides.some((t) => t.id === s.id));
    expect(left.filter((s) => !s.classes.includes('extra') && !/^lab-\d\d$/.test(s.id))).toEqual([]);
    const before = (id: string) => deck.slides[deck.slides.findIndex((s) => s.id === id) - 1]!.id;
    expect([before('lab-00'), before('lab-03'), before('lab-04'), before('lab-06'), before('lab-08')]).toEqual(['how-a-lab-works', 'routing-tall', 'data-services-tall', 'failover-tall', 'monitoring-tall']);
  });

  it('self-paced: every slide of the deck exactly once, the labs among the ideas, not after them', async () => {
    const [deck, whole] = await Promise.all([track('self-paced'), buildDeck({ root })]);
    expect(deck.slides.map((s) => s.id).sort()).toEqual(whole.slides.map((s) => s.id).sort());
    const at = (id: string) => deck.slides.findIndex((s) => s.id === id);
    expect(at('lab-03')).toBeLessThan(at('failover'));
    expect(at('lab-06')).toBeLessThan(at('monitoring'));
  });
});
