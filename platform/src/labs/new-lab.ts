/**
 * `tall dev new-lab NN slug`: everything a new lab needs, in the places the engine looks — the manifest entry, a README
 * and a checks.ts to fill in, a fixtures/ folder, the solution folder starting from the previous lab's solution, and a
 * slide with the lab's anchor — so an author starts from a lab that runs (and fails) rather than from a blank page.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument, YAMLSeq } from 'yaml';
import type { LabPaths } from './lab-paths.js';
import { findLab, loadManifest } from './manifest.js';
import { copyTree } from './tree.js';

export interface NewLab {
  id: string;
  slug: string;
  title: string;
  /** every file or folder made or changed, relative to the kit */
  made: string[];
}

export class NewLabError extends Error {}

export function createLab(paths: LabPaths, idText: string, slug: string, title?: string): NewLab {
  const id = idText.padStart(2, '0');
  if (!/^\d{2}$/.test(id)) throw new NewLabError(`"${idText}" is not a lab number: two digits, e.g. 04`);
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug)) throw new NewLabError(`"${slug}" is not a slug: kebab-case, e.g. data-services`);
  const manifest = loadManifest(paths);
  const existing = findLab(manifest, id);
  if (existing?.available) throw new NewLabError(`lab ${id} exists already: labs/${id}-${existing.slug}/checks.ts`);
  if (existing && existing.slug !== slug) throw new NewLabError(`the manifest has lab ${id} as "${existing.slug}"; use that slug, or change the manifest`);
  const folder = `${id}-${slug}`;
  const labTitle = title ?? existing?.title ?? slug.replace(/-/g, ' ');
  const made: string[] = [];
  const write = (file: string, text: string) => {
    if (existsSync(file)) return;
    writeFileSync(file, text);
    made.push(relative(paths.kitRoot, file));
  };

  if (!existing) {
    const doc = parseDocument(readFileSync(paths.manifest, 'utf8'));
    const labs = doc.get('labs') as YAMLSeq;
    const entry = doc.createNode({ id, slug, title: labTitle, topic: 'TODO: the seed topic', feature: 'TODO: the platform feature' });
    const at = labs.items.findIndex((item) => String((item as { get(key: string): unknown }).get('id')) > id);
    if (at === -1) labs.items.push(entry);
    else labs.items.splice(at, 0, entry);
    writeFileSync(paths.manifest, doc.toString({ lineWidth: 0 }));
    made.push(relative(paths.kitRoot, paths.manifest));
  }

  const dir = join(paths.labsDir, folder);
  mkdirSync(join(dir, 'fixtures'), { recursive: true });
  write(join(dir, 'README.md'), readme(id, labTitle));
  write(join(dir, 'checks.ts'), checks(id, labTitle));
  write(join(dir, 'fixtures', 'README.md'), FIXTURES_README);

  const solution = join(paths.solutionsDir, folder);
  if (!existsSync(solution)) {
    // The last written lab before it (labs not written yet have no solution): where the engine starts this lab from.
    const previous = manifest.labs.filter((lab) => lab.id < id && lab.available).at(-1);
    copyTree(previous ? previous.solutionDir : manifest.startDir, solution);
    made.push(`${relative(paths.kitRoot, solution)}/ (from ${previous ? `solutions/${previous.id}-${previous.slug}` : 'solutions/start'})`);
  }

  const slides = join(paths.kitRoot, 'slides', '06-to-the-labs.md');
  if (existsSync(slides) && !readFileSync(slides, 'utf8').includes(`{#lab-${id}}`)) {
    writeFileSync(slides, `${readFileSync(slides, 'utf8').trimEnd()}\n\n${slide(id, labTitle, folder)}`);
    made.push(relative(paths.kitRoot, slides));
  }
  return { id, slug, title: labTitle, made };
}

function readme(id: string, title: string): string {
  return `# Lab ${id} · ${title}

> Slide: [Lab ${id}](../../slides/06-to-the-labs.md#lab-${id}) · topic: *TODO* · about TODO minutes

## Why this matters

TODO: the problem the learner meets first, in the shop, and why the platform feature or practice answers it.

## What you will do

1. TODO

## Steps

### 1. TODO

\`\`\`sh
npx tall up
\`\`\`

## Done means

\`npx tall check ${id}\` passes: TODO, in the words of the checks' titles.

## Hints

\`npx tall hint ${id}\` gives the next hint for the first check that failed.
`;
}

function checks(id: string, title: string): string {
  return `// Lab ${id} · ${title} — the checks. They run against a throwaway platform started from your services/.
// Rules for checks a learner can trust: README.md, "Writing a lab".
import { defineChecks, fail } from '../../platform/src/labs/check-api.js';

export default defineChecks({
  checks: [
    {
      name: 'todo',
      title: 'TODO: what this check proves, in one line',
      points: 1,
      timeout: '10s',
      hints: ['TODO: a gentle hint', 'TODO: a more precise one'],
      async run(ctx) {
        const answer = await ctx.http.get('/catalog/health');
        fail(\`this check is not written yet (GET /catalog/health answered \${answer.status})\`);
      },
    },
  ],
});
`;
}

const FIXTURES_README = `# Fixtures: fakes that must fail, variants that must pass

One folder per fixture, each a small change to this lab's solution (see platform/src/labs/fixtures.ts):

    <name>/fixture.yaml     kind: fake | variant; why: …; must_fail: [checks] (fakes); edits: [{ file, replace, with }]
    <name>/files/…          files written over the solution's (paths relative to services/)

\`npx tall dev check <lab>\` runs them: each fake must fail the checks it names, each variant must pass every check.
`;

function slide(id: string, title: string, folder: string): string {
  return `--- {.lab}

## Lab ${id} · ${title} {#lab-${id}}

::: lab
**Goal:** TODO

→ [Open lab ${id}: \`labs/${folder}/README.md\`](../labs/${folder}/README.md)
:::

::: notes
TODO: what to say before the learners start.
:::
`;
}
