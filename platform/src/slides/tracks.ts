/**
 * Tracks: one deck, cut to fit the time. A track is slides/tracks/<name>.yaml — its parts in the order they are taught,
 * each with the slides it shows and (for a timed session) its minutes — and `tall slides --track <name>` serves,
 * exports or prints only those slides, in that order, with the parts' times in the speaker view. One manifest per
 * format, as container.training does.
 *
 *   title: The 90-minute session
 *   leave_out: [extra]            # slides with these classes drop out of the files this track takes whole
 *   parts:
 *     - title: Not a free lunch
 *       minutes: 6
 *       slides: [not-a-free-lunch, the-bill]    # slide ids ({#anchor}), or a file: 01-not-a-free-lunch.md
 *
 * A file stands for its slides that the track lists nowhere else, so `06-to-the-labs.md` at the end of a part picks up
 * a lab slide added later.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { LineCounter, parseDocument } from 'yaml';
import { kitPaths } from './paths.js';
import type { Deck, DeckTrack, Slide } from './types.js';

export const TRACKS_DIR = 'tracks';

export interface TrackPart {
  title: string;
  minutes?: number;
  slides: string[];
}

export interface Track {
  name: string;
  /** repo-relative */
  file: string;
  title: string;
  description?: string;
  leaveOut: string[];
  parts: TrackPart[];
}

/** A track that cannot be used: unknown, unreadable, invalid, or naming slides the deck does not have. */
export class TrackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrackError';
  }
}

const NAME = '^[a-z0-9]+(?:-[a-z0-9]+)*$';
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'parts'],
  properties: {
    title: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    leave_out: { type: 'array', items: { type: 'string', pattern: NAME } },
    parts: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'slides'],
        properties: {
          title: { type: 'string', minLength: 1 },
          minutes: { type: 'number', exclusiveMinimum: 0 },
          slides: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
} as const;

let validator: ReturnType<Ajv2019['compile']> | undefined;
const validate = (value: unknown) => (validator ??= new Ajv2019({ allErrors: true }).compile(SCHEMA))(value);

/** The tracks in slides/tracks/, by name. */
export async function listTracks(root: string): Promise<string[]> {
  try {
    const names = await readdir(path.join(kitPaths(root).slidesDir, TRACKS_DIR));
    return names.filter((n) => /\.ya?ml$/.test(n)).map((n) => n.replace(/\.ya?ml$/, '')).sort();
  } catch {
    return [];
  }
}

export async function readTrack(root: string, name: string): Promise<Track> {
  const known = await listTracks(root);
  if (!known.includes(name)) {
    throw new TrackError(`no track "${name}"; the tracks are ${known.length ? known.join(', ') : '(none: add slides/tracks/<name>.yaml)'}`);
  }
  const dir = path.join(kitPaths(root).slidesDir, TRACKS_DIR);
  const base = (await readdir(dir)).find((n) => n.replace(/\.ya?ml$/, '') === name)!;
  const file = `slides/${TRACKS_DIR}/${base}`;
  return parseTrack(await readFile(path.join(dir, base), 'utf8'), name, file);
}

/** Parses and validates a track's YAML; every problem at its file:line, all at once. */
export function parseTrack(text: string, name: string, file: string): Track {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => (offset === undefined ? file : `${file}:${lineCounter.linePos(offset).line}`);
  if (doc.errors.length) throw new TrackError(doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`).join('\n'));
  const value = doc.toJS() as unknown;
  if (!validate(value)) {
    const problems = (validator!.errors ?? []).map((e) => {
      const segments = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const node = doc.getIn(segments, true) as { range?: [number, number, number] } | undefined;
      const where = segments.reduce<string>((p, s) => (typeof s === 'number' ? `${p}[${s}]` : p ? `${p}.${s}` : s), '') || 'the track';
      const extra = e.keyword === 'additionalProperties' ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}"; known: ${Object.keys(schemaAt(segments)).join(', ')})` : '';
      return `${at(node?.range?.[0])}: ${where} ${e.message}${extra}`;
    });
    throw new TrackError(problems.join('\n'));
  }
  const raw = value as { title: string; description?: string; leave_out?: string[]; parts: TrackPart[] };
  return { name, file, title: raw.title, description: raw.description, leaveOut: raw.leave_out ?? [], parts: raw.parts };
}

/** The properties a mapping at this path may have, for "known: …" in an error. */
function schemaAt(segments: (string | number)[]): Record<string, unknown> {
  return segments.length === 0 ? SCHEMA.properties : SCHEMA.properties.parts.items.properties;
}

/**
 * The deck as the track teaches it: only its slides, in its order, renumbered, each knowing its part. Every id and
 * file the track names must exist, and no slide may be taught twice.
 */
export function applyTrack<D extends Deck>(deck: D, track: Track): D {
  const problems: string[] = [];
  const byId = new Map(deck.slides.map((s) => [s.id, s]));
  const files = new Set(deck.slides.map((s) => path.basename(s.file)));
  const entries = track.parts.flatMap((part, p) => part.slides.map((entry, i) => ({ entry, where: `parts[${p}].slides[${i}]` })));
  const listed = new Set<string>();
  for (const { entry, where } of entries) {
    if (files.has(entry)) continue;
    const id = entry.replace(/^#/, '');
    if (!byId.has(id)) problems.push(`${where}: no slide "${entry}" (a slide's id — its {#anchor} — or a file of slides/)`);
    else if (listed.has(id)) problems.push(`${where}: #${id} is listed twice`);
    listed.add(id);
  }
  if (problems.length) throw new TrackError(problems.map((p) => `${track.file}: ${p}`).join('\n'));

  const taken = new Set<string>();
  const parts: DeckTrack['parts'] = [];
  const slides: Slide[] = [];
  track.parts.forEach((part, p) => {
    const first = slides.length;
    for (const entry of part.slides) {
      const picked = files.has(entry)
        ? deck.slides.filter((s) => path.basename(s.file) === entry && !listed.has(s.id) && !taken.has(s.id) && !s.classes.some((c) => track.leaveOut.includes(c)))
        : [byId.get(entry.replace(/^#/, ''))!];
      for (const slide of picked) {
        taken.add(slide.id);
        slides.push({ ...slide, index: slides.length, part: p });
      }
    }
    parts.push({ title: part.title, minutes: part.minutes, first, count: slides.length - first });
  });
  const empty = parts.filter((p) => p.count === 0).map((p) => `"${p.title}"`);
  if (empty.length) throw new TrackError(`${track.file}: part ${empty.join(', ')} has no slides left (every slide it names is left out or listed elsewhere)`);
  return { ...deck, slides, track: { name: track.name, title: track.title, parts } };
}

/** About 130 words a minute: how long the notes take to say. */
export function notesMinutes(slides: Slide[]): number {
  const words = slides.reduce((n, s) => n + s.notesHtml.replace(/<[^>]+>/g, ' ').split(/\s+/).filter(Boolean).length, 0);
  return Math.round(words / 130);
}
