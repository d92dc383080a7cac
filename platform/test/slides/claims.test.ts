/**
 * The slides and the lab READMEs claim only what exists today:
 *  - every `tall <verb>` they show is a verb `tall --help` lists, and every option given to it is one its --help lists;
 *  - every repository path they name (in code spans and links) exists — in the repository, or, for a file a lab has
 *    the learner write under services/, in a lab's solution;
 *  - a slide (or README paragraph) that sends the learner to a lab not written yet says so;
 *  - each "how `tall` does it" slide names, on the slide, the verb, file or compose key that does it today, and each
 *    one exists (a verb and subcommand in `tall --help`, a file in the repository, a key the kit honours);
 *  - a slide about `tall` that names a feature not built yet (contract tests) says that it is not built
 *    yet;
 *  - the dates the deck gives for Netflix OSS.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { warnUnsupportedFields } from '../../src/compose/supported-fields.js';
import { buildDeck, type BuiltDeck } from '../../src/slides/deck.js';
import { readLabManifest, type LabEntry } from '../../src/slides/labs.js';
import { kitRoot } from '../../src/slides/paths.js';
import type { Slide } from '../../src/slides/types.js';
import { TALL } from '../support/tall-cli.js';

const root = kitRoot();

/** The markdown a learner reads: the deck (and its README) and every lab README. */
function documents(): { file: string; text: string }[] {
  const files = [
    ...readdirSync(path.join(root, 'slides')).filter((f) => f.endsWith('.md')).map((f) => `slides/${f}`),
    ...readdirSync(path.join(root, 'labs'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(root, 'labs', d.name, 'README.md')))
      .map((d) => `labs/${d.name}/README.md`),
  ];
  return files.map((file) => ({ file, text: readFileSync(path.join(root, file), 'utf8') }));
}

interface Span {
  file: string;
  line: number;
  code: string;
}

/** Inline code spans and fenced code blocks (one span per line of a block), with where they are. */
function codeSpans(file: string, text: string): Span[] {
  const spans: Span[] = [];
  let fenced = false;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (/^\s*(```|~~~)/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return void spans.push({ file, line, code: raw });
    for (const match of raw.matchAll(/`([^`]+)`/g)) spans.push({ file, line, code: match[1]! });
  });
  return spans;
}

/**
 * `tall <verb> [options]` in a piece of code or text: the verb, the word after it (a subcommand, for verbs that have
 * them: `tall chaos lose-answer`) and the options written after it (up to |, &&, ;, #).
 */
function tallCommands(code: string, prose = false): { verb: string; sub?: string; options: string[] }[] {
  const found: { verb: string; sub?: string; options: string[] }[] = [];
  const pattern = prose ? /\bnpx\s+tall\s+([a-z][\w-]*)([^|&;#`\n]*)/g : /(?<![\w./-])tall\s+([a-z][\w-]*)([^|&;#`\n]*)/g;
  for (const match of code.matchAll(pattern)) {
    const options = [...(match[2] ?? '').matchAll(/(?:^|\s)(--?[a-zA-Z][\w-]*)/g)].map((m) => m[1]!.replace(/=.*/, ''));
    found.push({ verb: match[1]!, sub: /^\s+([a-z][\w-]*)/.exec(match[2] ?? '')?.[1], options });
  }
  return found;
}

/** `tall [args] --help`, once per args for the whole file: each run starts the CLI, a second or two on a busy machine. */
const helps = new Map<string, Promise<string>>();
function helpOf(args: string[]): Promise<string> {
  const key = args.join(' ');
  if (!helps.has(key)) {
    helps.set(key, new Promise((resolve, reject) =>
      execFile(process.execPath, [TALL, ...args, '--help'], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    ));
  }
  return helps.get(key)!;
}

const text = (slide: Slide) => `${slide.title}\n${slide.html}\n${slide.notesHtml}`.replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/g, ' ');

/** The lab numbers a piece of text sends the reader to: "#lab-07" links, "lab 7", "Lab 07", "labs 3 and 7". */
function labsNamed(content: string, hrefs: string[] = []): string[] {
  const ids = new Set<string>();
  for (const href of hrefs) {
    const m = /^#lab-(\d\d)$/.exec(href) ?? /labs\/(\d\d)-[^/]+\/README\.md/.exec(href);
    if (m) ids.add(m[1]!);
  }
  for (const m of content.matchAll(/\b[Ll]abs?\s+((?:\d{1,2}(?:\s*(?:,|and|or|–)\s*)?)+)/g)) {
    for (const n of m[1]!.match(/\d{1,2}/g) ?? []) ids.add(n.padStart(2, '0'));
  }
  return [...ids];
}

/** A repository path exists — or, for a file a lab has the learner write under services/, exists in a solution. */
function repoPathExists(repoPath: string): boolean {
  const clean = repoPath.replace(/\/$/, '');
  if (existsSync(path.join(root, clean))) return true;
  // services/environments/staging.env is written in lab 02: it is in that lab's solution
  const solutions = readdirSync(path.join(root, 'solutions')).map((name) => path.join(root, 'solutions', name));
  return clean.startsWith('services/') && solutions.some((dir) => existsSync(path.join(dir, clean.slice('services/'.length))));
}

/** The commands a `tall [args] --help` lists, each with its usage: `scale` → `[options] <service> <n>`. */
async function commandsOf(args: string[] = []): Promise<Map<string, string>> {
  const listing = (await helpOf(args)).split(/^Commands:$/m)[1] ?? '';
  return new Map([...listing.matchAll(/^ {2}([a-z][\w-]*)((?: \S+)*)/gm)].map((m) => [m[1]!, m[2]!.trim()]));
}

/** What a slide shows, as text: its body and the labels of its diagrams (an SVG inlined as a data: URI). */
function shownText(slide: Slide): string {
  const labels = [...slide.html.matchAll(/src="data:image\/svg\+xml;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8').replace(/<(desc|title)[\s\S]*?<\/\1>/g, ''));
  // the heading says what the slide is about ("How `tall` routes"), not which verb does it
  return [slide.html.replace(/<h[12][^>]*>[\s\S]*?<\/h[12]>/g, ''), ...labels].join('\n').replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&[a-z#0-9]+;/g, ' ');
}

describe('the slides and the lab READMEs claim only what exists', () => {
  let deck: BuiltDeck;
  let labs: LabEntry[];
  let written: Set<string>;
  beforeAll(async () => {
    deck = await buildDeck({ root });
    labs = (await readLabManifest(root)).labs;
    written = new Set(labs.filter((lab) => existsSync(path.join(root, 'labs', `${lab.id}-${lab.slug}`, 'README.md'))).map((lab) => lab.id));
  });

  it('every `tall <verb>` they show is listed by `tall --help`, with options its --help lists', async () => {
    const help = await helpOf([]);
    const verbs = new Set([...help.split(/^Commands:$/m)[1]!.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!));
    expect([...verbs]).toEqual(expect.arrayContaining(['up', 'down', 'ps', 'scale', 'kill', 'logs', 'events', 'check', 'slides']));
    const uses = documents().flatMap(({ file, text: markdown }) => [
      ...codeSpans(file, markdown).flatMap((span) => tallCommands(span.code).map((use) => ({ ...use, where: `${file}:${span.line}` }))),
      ...markdown.split('\n').flatMap((line, i) => tallCommands(line, true).map((use) => ({ ...use, where: `${file}:${i + 1}` }))),
    ]);
    expect(uses.length).toBeGreaterThan(50);
    const problems: string[] = [];
    const known = uses.filter(({ verb, where }) => verbs.has(verb) || void problems.push(`${where}: "tall ${verb}" — tall --help lists no such verb`));
    const withOptions = [...new Set(known.filter((use) => use.options.length).map((use) => use.verb))];
    const optionsOf = new Map(await Promise.all(withOptions.map(async (verb) => [verb, await helpOf([verb])] as const)));
    // A subcommand's own options (tall chaos lose-answer --percent) are in its own --help.
    const subcommandsOf = (verb: string) => new Set([...(optionsOf.get(verb)!.split(/^Commands:$/m)[1] ?? '').matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!));
    const withSubcommands = [...new Set(known.filter((use) => use.options.length && use.sub && subcommandsOf(use.verb).has(use.sub)).map((use) => `${use.verb} ${use.sub}`))];
    for (const both of withSubcommands) optionsOf.set(both, await helpOf(both.split(' ')));
    for (const { verb, sub, options, where } of known) {
      const command = optionsOf.has(`${verb} ${sub}`) ? `${verb} ${sub}` : verb;
      for (const option of options) {
        if (!new RegExp(`(^|[\\s,])${option.replace(/-/g, '\\-')}([\\s,=<\\[]|$)`, 'm').test(optionsOf.get(command)!)) problems.push(`${where}: "tall ${command} ${option}" — "tall ${command} --help" lists no ${option}`);
      }
    }
    expect([...new Set(problems)].join('\n')).toBe('');
  });

  it('every repository path they name exists (or, for a file a lab has you write, exists in a solution)', () => {
    const unwrittenReadme = (target: string) => labs.some((lab) => !written.has(lab.id) && target === `labs/${lab.id}-${lab.slug}/README.md`);
    const problems: string[] = [];
    let checked = 0;
    for (const { file, text: markdown } of documents()) {
      for (const span of codeSpans(file, markdown)) {
        // a repository path as a learner would type it: no spaces, no placeholders, under one of the kit's folders
        const candidate = span.code.trim();
        if (/[\s<>*…{}$]|NN|\.\.\./.test(candidate)) continue;
        if (/^[\w-]+\.(md|ya?ml|json)$/.test(candidate)) {
          // a bare file name: in the repository root, beside the document (slides/00-opening.md), or in the shop
          if (![root, path.join(root, path.dirname(file))].some((dir) => existsSync(path.join(dir, candidate))) && !repoPathExists(`services/${candidate}`)) {
            problems.push(`${file}:${span.line}: \`${candidate}\` does not exist`);
          }
          checked += 1;
          continue;
        }
        if (/^[\w-]+\/$/.test(candidate)) {
          // a folder named on its own: the platform's folders (`routing/`), the shop's, or the repository's
          if (![root, path.join(root, 'platform/src'), path.join(root, 'services')].some((dir) => existsSync(path.join(dir, candidate)))) problems.push(`${file}:${span.line}: \`${candidate}\` is no folder of the kit`);
          checked += 1;
          continue;
        }
        if (!/^(services|platform|labs|slides|solutions)\/[\w./-]*$/.test(candidate)) continue;
        checked += 1;
        if (unwrittenReadme(candidate)) continue; // the slide says the lab is not written yet (next test)
        if (!repoPathExists(candidate)) problems.push(`${file}:${span.line}: \`${candidate}\` does not exist`);
      }
      // relative links: to files of the repository
      let fenced = false;
      markdown.split('\n').forEach((line, index) => {
        if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
        if (fenced) return;
        for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
          const href = m[1]!;
          if (/^[a-z]+:|^#/.test(href)) continue;
          const target = path.relative(root, path.resolve(root, path.dirname(file), href.split('#')[0]!));
          checked += 1;
          if (unwrittenReadme(target)) continue;
          if (!existsSync(path.join(root, target))) problems.push(`${file}:${index + 1}: link to ${href} — ${target} does not exist`);
        }
      });
    }
    expect(checked).toBeGreaterThan(40);
    expect(problems).toEqual([]);
  });

  it('each "how `tall` does it" slide names the verb, file or compose key that does it today, and each exists', async () => {
    // the slides whose heading names `tall`: "How `tall` scales", "Data services in `tall`", "`tall` in five commands"…
    const howTall = deck.slides.filter((slide) => /<h[12][^>]*>[^<]*<code>tall<\/code>/.test(slide.html));
    expect(howTall.map((s) => s.id)).toEqual(expect.arrayContaining(['tall-platform', 'tall-commands', 'scaling-tall', 'failover-tall', 'routing-tall', 'data-services-tall', 'monitoring-tall', 'env-provisioning-tall']));
    const verbs = await commandsOf();
    const problems: string[] = [];
    for (const slide of howTall) {
      const shown = shownText(slide);
      const where = `${slide.file}:${slide.line} #${slide.id}`;
      // `tall service create` names a verb and its subcommand; `tall up · ps · scale` (a diagram's label) three verbs
      const named = [...shown.matchAll(/(?<![\w./-])tall ([a-z][\w-]*)( [a-z][\w-]*)?((?: · [a-z][\w-]*)*)/g)].flatMap((m) => [
        { verb: m[1]!, sub: m[2]?.trim() },
        ...m[3]!.split(' · ').filter((w) => w && w !== 'tall').map((verb) => ({ verb, sub: undefined })),
      ]);
      const files = [...shown.matchAll(/(?<![\w/.-])((?:services|platform|labs|solutions)\/[\w./-]*[\w/])/g)].map((m) => m[1]!);
      const keys = [...shown.matchAll(/x-tall\.([a-z_]+)/g)].map((m) => m[1]!);
      if (!named.some((n) => verbs.has(n.verb)) && !files.length && !keys.length) problems.push(`${where}: names no tall verb, file or x-tall key that does what it shows`);
      for (const { verb, sub } of named) {
        if (!verbs.has(verb)) {
          problems.push(`${where}: "tall ${verb}" — tall --help lists no such verb`);
          continue;
        }
        // a verb that takes no arguments of its own (`tall service`, `tall chaos`) has subcommands: check the one named
        if (sub && verbs.get(verb)!.replace('[options]', '').trim() === '') {
          const subs = await commandsOf([verb]);
          if (subs.size && !subs.has(sub)) problems.push(`${where}: "tall ${verb} ${sub}" — tall ${verb} --help lists no such subcommand (${[...subs.keys()].join(', ')})`);
        }
      }
      for (const file of files) if (!repoPathExists(file)) problems.push(`${where}: ${file} does not exist`);
      for (const key of keys) {
        const warnings: string[] = [];
        warnUnsupportedFields({ services: { s: { 'x-tall': { [key]: {} } } } }, (_p, message) => warnings.push(message));
        warnUnsupportedFields({ 'x-tall': { [key]: {} } }, (_p, message) => warnings.push(message));
        if (warnings.length === 2) problems.push(`${where}: x-tall.${key} is no key the kit honours (${warnings[0]})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('a slide that sends the learner to a lab not written yet says so — the lab\'s own slide first', () => {
    expect(written.size).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const slide of deck.slides) {
      const unwritten = labsNamed(text(slide), slide.links.map((l) => l.href)).filter((id) => !written.has(id) && labs.some((lab) => lab.id === id));
      if (unwritten.length && !/not written yet/i.test(text(slide))) problems.push(`${slide.file}:${slide.line} #${slide.id}: names lab ${unwritten.join(', ')} without saying it is not written yet`);
    }
    for (const lab of labs.filter((l) => !written.has(l.id))) {
      const own = deck.slides.find((s) => s.id === `lab-${lab.id}`)!;
      expect(own.title, `#lab-${lab.id}`).toMatch(/not written yet/);
    }
    expect(problems).toEqual([]);
  });

  it('a lab README paragraph that names a lab not written yet says so', () => {
    const problems: string[] = [];
    for (const { file, text: markdown } of documents().filter((d) => d.file.startsWith('labs/'))) {
      for (const paragraph of markdown.split(/\n\s*\n/)) {
        const links = [...paragraph.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
        const unwritten = labsNamed(paragraph, links).filter((id) => !written.has(id) && labs.some((lab) => lab.id === id));
        if (unwritten.length && !/not written yet/i.test(paragraph)) problems.push(`${file}: "${paragraph.trim().slice(0, 80)}…" names lab ${unwritten.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('a slide about `tall` that names a feature not built yet says it is not built yet', () => {
    const aboutTall = (slide: Slide) => /-tall$|^tall-|^lab-\d\d$/.test(slide.id) || ['basic-monitoring', 'rapid-deployment', 'rapid-provisioning', 'title', 'to-the-labs'].includes(slide.id);
    // Built: data services (lab 04), correlation ids through the services (lab 08), autoscaling (lab 09), the outbox and
    // the broker (lab 10), contract tests (lab 11), rolling and blue-green deploys (lab 12), tall graduate and its lab
    // (13). Not built: canary deploys.
    const notBuilt = /canary/i;
    const problems = deck.slides
      .filter(aboutTall)
      .filter((slide) => notBuilt.test(text(slide)) && !/not (built|written) yet/i.test(text(slide)))
      .map((slide) => `${slide.file}:${slide.line} #${slide.id}: names ${notBuilt.exec(text(slide))![0]} as if it existed`);
    expect(problems).toEqual([]);
    // and never the things that were claimed before they existed
    const all = deck.slides.map(text).join('\n');
    expect(all).not.toMatch(/dashboard you open in lab 0|embedded Postgres|a down notifier fails a paid order/i);
  });

  it('gives the right dates: Netflix began open-sourcing in 2011; Ribbon in maintenance since 2016, Hystrix since 2018', () => {
    const netflix = deck.slides.find((s) => s.id === 'netflix-oss')!;
    expect(text(netflix)).toMatch(/2011/);
    expect(text(netflix)).not.toMatch(/2012/);
    for (const slide of deck.slides.filter((s) => /Ribbon/.test(text(s)))) expect(text(slide), `#${slide.id} names Ribbon`).toMatch(/maintenance mode since 2016|Ribbon[^.]*\b2016\b/);
    for (const slide of deck.slides.filter((s) => /Hystrix[^.]*maintenance|maintenance[^.]*Hystrix/.test(text(s)))) expect(text(slide), `#${slide.id}`).toMatch(/2018/);
  });
});
