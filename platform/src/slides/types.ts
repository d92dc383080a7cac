/** Shared shapes of the slide renderer. */

/** Something wrong in the content, located so an author can jump to it: `slides/03-x.md:12`. */
export interface SlideWarning {
  /** repo-relative path */
  file: string;
  /** 1-based */
  line?: number;
  message: string;
}

export function formatWarning(w: SlideWarning): string {
  return `${w.file}${w.line ? `:${w.line}` : ''}: warning: ${w.message}`;
}

/** A link found in a slide, as written and as resolved. */
export interface SlideLink {
  href: string;
  /** repo-relative target path for relative links (`labs/03-x/README.md`); undefined for URLs and in-deck anchors */
  target?: string;
  /** the part after `#`, if any */
  hash?: string;
}

export interface Slide {
  /** 0-based position in the deck */
  index: number;
  /** URL hash (`#<id>`) and stable anchor */
  id: string;
  title: string;
  /** repo-relative markdown file and 1-based line where the slide starts */
  file: string;
  line: number;
  classes: string[];
  html: string;
  /** speaker notes, rendered; '' when the slide has none */
  notesHtml: string;
  links: SlideLink[];
  /** ids of the labs this slide links to */
  labs: string[];
  /** set when the slide stands in for content that failed to render */
  error?: string;
  /** with a track: the index of the part it belongs to in DeckTrack.parts */
  part?: number;
}

/** The track a deck was cut to (tracks.ts): its parts, each a run of slides with a target time. */
export interface DeckTrack {
  name: string;
  title: string;
  parts: { title: string; minutes?: number; first: number; count: number }[];
}

export interface Deck {
  title: string;
  slides: Slide[];
  warnings: SlideWarning[];
  /** the markdown files read, repo-relative, in deck order */
  files: string[];
  /** set when the deck was cut to a track */
  track?: DeckTrack;
}
