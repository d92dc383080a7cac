import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KIT_ROOT, labPaths } from '../../src/labs/lab-paths.js';
import { loadManifest } from '../../src/labs/manifest.js';
import { createLab, NewLabError } from '../../src/labs/new-lab.js';
import { TallSandbox } from '../support/tall-cli.js';

/** A copy of the kit's content (labs, solutions, slides, services) to add labs to. */
function kitCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'tall-newlab-'));
  for (const folder of ['labs', 'solutions', 'slides', 'services']) cpSync(join(KIT_ROOT, folder), join(root, folder), { recursive: true, filter: (path) => !path.includes('node_modules') });
  return root;
}

/** Every lab the manifest names is written: the copy forgets some, to have labs to start again. */
function forget(root: string, ...labs: string[]): void {
  for (const lab of labs) for (const folder of ['labs', 'solutions']) rmSync(join(root, folder, lab), { recursive: true, force: true });
}

describe('tall dev new-lab', () => {
  it('starts a lab the manifest already names: README, checks.ts, fixtures/, the solution from the previous lab, the slide kept', () => {
    const root = kitCopy();
    forget(root, '11-contract-tests');
    const made = createLab(labPaths(root, root), '11', 'contract-tests');
    expect(made.title).toMatch(/contract tests/);
    const lab = loadManifest(labPaths(root, root)).labs.find((candidate) => candidate.id === '11')!;
    expect(lab.available).toBe(true);
    for (const file of ['README.md', 'checks.ts', 'fixtures/README.md']) expect(existsSync(join(root, 'labs/11-contract-tests', file))).toBe(true);
    expect(readFileSync(join(root, 'solutions/11-contract-tests/compose.yaml'), 'utf8')).toBe(readFileSync(join(root, 'solutions/10-asynchronicity/compose.yaml'), 'utf8'));
    expect(readFileSync(join(root, 'labs/11-contract-tests/checks.ts'), 'utf8')).toMatch(/points: 1,\n\s+timeout: '10s'/);
    expect(made.made).not.toContain('slides/06-to-the-labs.md');
  });

  it('adds a lab the manifest does not have, in order, with a slide anchor; refuses a written lab and a bad slug', () => {
    const root = kitCopy();
    const made = createLab(labPaths(root, root), '14', 'beyond', 'Beyond: a lab after the last one');
    const manifest = loadManifest(labPaths(root, root));
    expect(manifest.labs.at(-1)).toMatchObject({ id: '14', slug: 'beyond', title: 'Beyond: a lab after the last one' });
    expect(readFileSync(join(root, 'slides/06-to-the-labs.md'), 'utf8')).toContain('{#lab-14}');
    expect(made.made).toContain('labs/manifest.yaml');
    expect(() => createLab(labPaths(root, root), '01', 'rapid-deployment')).toThrow(NewLabError);
    expect(() => createLab(labPaths(root, root), '15', 'Not_Kebab')).toThrow(/kebab-case/);
  });

  it('a lab after labs not written yet starts from the last written lab\'s solution, as the engine starts it', () => {
    const root = kitCopy();
    // 11 after one not written yet (10)
    forget(root, '10-asynchronicity', '11-contract-tests');
    createLab(labPaths(root, root), '11', 'contract-tests');
    const written = loadManifest(labPaths(root, root)).labs.filter((lab) => lab.available && lab.id < '11').at(-1)!;
    const from = `solutions/${written.id}-${written.slug}`;
    expect(from).toBe('solutions/09-autoscaling');
    expect(existsSync(join(root, 'solutions/10-asynchronicity'))).toBe(false);
    expect(readFileSync(join(root, 'solutions/11-contract-tests/compose.yaml'), 'utf8')).toBe(readFileSync(join(root, from, 'compose.yaml'), 'utf8'));
    const made = createLab(labPaths(root, root), '14', 'after-graduate');
    expect(made.made).toContain(`solutions/14-after-graduate/ (from solutions/13-graduate)`);
  });

  it('the CLI verb prints what it made and the next step; a wrong number is a usage error', async () => {
    const root = kitCopy();
    forget(root, '11-contract-tests');
    const tall = new TallSandbox(root);
    const run = await tall.run(['dev', 'new-lab', '11', 'contract-tests']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✔ lab 11/);
    expect(run.stdout).toMatch(/next: write the checks in labs\/11-contract-tests\/checks.ts/);
    expect((await tall.run(['dev', 'new-lab', 'x1', 'nope'])).code).toBe(2);
  });
});
