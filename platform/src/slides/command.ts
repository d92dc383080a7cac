/**
 * The `tall slides` verb.
 *   tall slides                 serve the deck on http://127.0.0.1:8090/ with live reload
 *   tall slides --export DIR    write a static, self-contained site (opens from file://)
 *   tall slides --pdf FILE      print the deck to PDF through headless Chromium, one slide per page
 *   tall slides --track NAME    any of the above with only a track's slides (slides/tracks/NAME.yaml), paced;
 *                               without it, the self-paced track: every slide, each lab next to its idea
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { ExportResult } from './export.js';
import { kitRoot } from './paths.js';
import type { PdfResult } from './pdf.js';
import type { SlidesServer } from './server.js';
import { formatWarning, type Deck, type SlideWarning } from './types.js';

// The renderer (markdown-it, highlight.js, playwright) loads only when `tall slides` runs, so other verbs start fast.
const renderer = async () => ({
  ...(await import('./chromium.js')),
  ...(await import('./deck.js')),
  ...(await import('./export.js')),
  ...(await import('./pdf.js')),
  ...(await import('./server.js')),
  ...(await import('./tracks.js')),
});

export const DEFAULT_SLIDES_PORT = 8090;
/**
 * Without --track: every slide, each lab right after the idea it practises (slides/tracks/self-paced.yaml), rather than
 * the files' order, which keeps the labs together at the end. A kit without that track shows the files' order.
 */
export const DEFAULT_TRACK = 'self-paced';

interface SlidesOptions {
  port?: string;
  export?: string;
  pdf?: string;
  track?: string;
  json?: boolean;
  open: boolean;
}

/** Where the command writes; tests swap these. */
export const slidesIo = {
  out: (text: string) => void process.stdout.write(text),
  err: (text: string) => void process.stderr.write(text),
};

export function registerSlidesCommand(program: Command): void {
  program
    .command('slides')
    .description("the session's slides: serve them with live reload, or export them as a static site or a PDF")
    .option('--port <n>', `port on 127.0.0.1 to serve on (default ${DEFAULT_SLIDES_PORT}, or env TALL_SLIDES_PORT)`)
    .option('--export <dir>', 'write a static, self-contained site to <dir> (works from file://, no network)')
    .option('--pdf <file>', 'print the deck to a PDF, one slide per page (needs Chromium)')
    .option('--track <name>', `only a track's slides (slides/tracks/<name>.yaml), in its order, paced by its times (default ${DEFAULT_TRACK}: every slide, labs next to their ideas); an unknown name lists the tracks`)
    .option('--json', 'with --export/--pdf: print the result as JSON')
    .option('--no-open', 'do not open a browser when serving')
    .action(async (opts: SlidesOptions) => {
      process.exitCode = await runSlides(opts);
    });
}

export function parsePort(value: string | undefined): number {
  const raw = value ?? process.env.TALL_SLIDES_PORT ?? String(DEFAULT_SLIDES_PORT);
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`invalid port "${raw}": use a number from 1 to 65535 (0 = any free port)`);
  }
  return port;
}

class UsageError extends Error {}

async function runSlides(opts: SlidesOptions): Promise<number> {
  const root = kitRoot();
  try {
    const { listTracks } = await renderer();
    opts.track ??= (await listTracks(root)).includes(DEFAULT_TRACK) ? DEFAULT_TRACK : undefined;
    if (opts.export || opts.pdf) return await runExports(root, opts);
    return await serve(root, parsePort(opts.port), opts.open, opts.track);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (opts.json && (opts.export || opts.pdf)) slidesIo.out(`${JSON.stringify({ ok: false, error: message }, null, 2)}\n`);
    else slidesIo.err(`tall slides: ${message}\n`);
    return 1;
  }
}

async function runExports(root: string, opts: SlidesOptions): Promise<number> {
  const { buildDeck, exportSite, printPdf, ChromiumMissingError, notesMinutes } = await renderer();
  const deck = await buildDeck({ root, track: opts.track });
  const track = deck.track && trackSummary(deck, notesMinutes(deck.slides));
  let exported: ExportResult | undefined;
  let pdf: PdfResult | undefined;
  let pdfError: string | undefined;
  if (opts.export) exported = await exportSite({ root, outDir: opts.export, deck });
  if (opts.pdf) {
    try {
      pdf = await printPdf({ root, file: opts.pdf, deck });
    } catch (error) {
      if (!(error instanceof ChromiumMissingError)) throw error;
      pdfError = error.message;
    }
  }
  const warnings = uniqueWarnings([...(exported?.warnings ?? deck.warnings), ...(pdf?.warnings ?? [])]);
  const ok = !pdfError;
  if (opts.json) {
    const result = {
      ok,
      slides: deck.slides.length,
      ...(track && { track }),
      ...(exported && { export: { dir: exported.dir, index: exported.index, files: exported.files } }),
      ...(pdf && { pdf: { file: pdf.file, pages: pdf.pages } }),
      ...(pdfError && { error: pdfError }),
      warnings,
    };
    slidesIo.out(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    printWarnings(warnings);
    if (track) slidesIo.out(`${describeTrack(track)}\n`);
    if (exported) slidesIo.out(`exported ${exported.slides} slides and ${exported.files.length - 1} lab pages to ${exported.dir}\nopen ${exported.index}\n`);
    if (pdf) slidesIo.out(`printed ${pdf.slides} slides to ${pdf.file} (${pdf.pages} pages)\n`);
    if (pdfError) slidesIo.err(`tall slides: cannot print a PDF: ${pdfError}\n`);
  }
  return ok ? 0 : 1;
}

async function serve(root: string, port: number, open: boolean, trackName?: string): Promise<number> {
  const { startSlidesServer, notesMinutes } = await renderer();
  let printed = new Set<string>();
  const server: SlidesServer = await startSlidesServer({
    root,
    port,
    track: trackName,
    onBuild: (deck, reason) => {
      // Show each warning once per state of the content, not again on every unrelated save.
      const now = new Set(deck.warnings.map(formatWarning));
      const fresh = [...now].filter((w) => !printed.has(w));
      if (reason !== 'start') slidesIo.out(`reloaded (${reason}): ${deck.slides.length} slides${now.size ? `, ${now.size} warning(s)` : ''}\n`);
      for (const w of fresh) slidesIo.err(`${w}\n`);
      printed = now;
    },
  });
  // A save that breaks the content (a track naming a slide that is gone) keeps the last good deck and says why.
  server.on('error-build', (error: Error) => slidesIo.err(`tall slides: not reloaded: ${error.message}\n`));
  const deck = server.deck();
  slidesIo.out(`slides: ${deck.slides.length} slides from ${deck.files.length} files, serving on ${server.url}\n`);
  if (deck.track) slidesIo.out(`${describeTrack(trackSummary(deck, notesMinutes(deck.slides)))}\n`);
  slidesIo.out('keys: arrows/space to move, O overview, S speaker view, N notes, ? help. Edit slides/*.md and the page reloads. Ctrl+C to stop.\n');
  if (open) openBrowser(server.url);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** Best effort: a desktop gets a browser tab; a server or container without one just keeps the printed URL. */
function openBrowser(url: string): void {
  const { platform, env } = process;
  let cmd: string;
  let args: string[];
  if (platform === 'darwin') [cmd, args] = ['open', [url]];
  else if (platform === 'win32') [cmd, args] = ['cmd', ['/c', 'start', '""', url]];
  else if (env.DISPLAY || env.WAYLAND_DISPLAY) [cmd, args] = ['xdg-open', [url]];
  else return;
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no browser to open: the URL is printed above
  }
}

interface TrackSummary {
  name: string;
  title: string;
  slides: number;
  /** the parts' minutes added up; absent for a track without times */
  minutes?: number;
  /** how long the speaker notes take to say */
  notesMinutes: number;
  parts: { title: string; minutes?: number; slides: number }[];
}

function trackSummary(deck: Deck, notes: number): TrackSummary {
  const { name, title, parts } = deck.track!;
  const timed = parts.filter((p) => p.minutes !== undefined);
  return {
    name,
    title,
    slides: deck.slides.length,
    ...(timed.length && { minutes: timed.reduce((n, p) => n + p.minutes!, 0) }),
    notesMinutes: notes,
    parts: parts.map((p) => ({ title: p.title, minutes: p.minutes, slides: p.count })),
  };
}

function describeTrack(t: TrackSummary): string {
  const time = t.minutes ? `${t.minutes} minutes planned in ${t.parts.length} parts (the speaker view paces against them)` : `${t.parts.length} parts, no times`;
  return `track ${t.name} ("${t.title}"): ${t.slides} slides, ${time}; the notes take about ${t.notesMinutes} minutes to say`;
}

function printWarnings(warnings: SlideWarning[]): void {
  for (const w of warnings) slidesIo.err(`${formatWarning(w)}\n`);
}

function uniqueWarnings(warnings: SlideWarning[]): SlideWarning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => {
    const key = formatWarning(w);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
