// What the learner is told to do next: never to read a lab that is not written, never that an unwritten lab is doable,
// and in plain English ("1 file differs").
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { labPaths } from '../../src/labs/lab-paths.js';
import { loadManifest, type Manifest } from '../../src/labs/manifest.js';
import type { Progress } from '../../src/labs/progress.js';
import { afterLab, printSummary, writtenSoFar } from '../../src/labs/report.js';
import type { LabResult } from '../../src/labs/runner.js';
import { TallSandbox } from '../support/tall-cli.js';

function kit(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tall-next-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const CHECKS = 'export default { checks: [] };\n';

/** Labs 00 and 01 written (they have checks), 02 and 03 not — as the kit is after its first labs. */
const MANIFEST = `labs:
  - { id: "00", slug: first, title: First steps, topic: t, feature: none }
  - { id: "01", slug: second, title: Second steps, topic: t, feature: none }
  - { id: "02", slug: third, title: Data services, topic: t, feature: none }
  - { id: "03", slug: fourth, title: Testability, topic: t, feature: none }
`;

function manifest(written: string[]): Manifest {
  const files: Record<string, string> = { 'labs/manifest.yaml': MANIFEST };
  for (const id of written) {
    const folder = { '00': '00-first', '01': '01-second', '02': '02-third', '03': '03-fourth' }[id]!;
    files[`labs/${folder}/checks.ts`] = CHECKS;
    files[`labs/${folder}/README.md`] = `# Lab ${id}\n`;
  }
  return loadManifest(labPaths(kit(files)));
}

const progress = (done: string[]): Progress => ({ version: 1, labs: Object.fromEntries(done.map((id) => [id, { status: 'done', attempts: 1, hintsShown: {} }])) });

function passed(id: string): LabResult {
  return {
    lab: { id, slug: 'x', title: 'x' }, runtime: 'process', ok: true, startedAt: '', durationMs: 8000,
    platform: { name: 'default', started: true, startMs: 5000 }, environments: [], checks: [],
    points: { earned: 4, possible: 4 }, summary: { passed: 4, failed: 0, skipped: 0 }, workspace: '/tmp/slot-1',
  };
}

describe('after a lab is done', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the last lab written so far: says so, names the next lab as not written, and never sends the learner to its README', () => {
    const labs = manifest(['00', '01']);
    const said = afterLab(labs, labs.labs[1]!, progress(['00', '01'])).join('\n');
    expect(said).toMatch(/you have done every lab written so far \(00 and 01\)/);
    expect(said).toMatch(/lab 02 · Data services — not written yet/);
    expect(said).not.toMatch(/read .*02-third/);
    expect(said).not.toMatch(/README/);
  });

  it('a lab skipped on the way is named instead of "every lab"', () => {
    const labs = manifest(['00', '01']);
    const said = afterLab(labs, labs.labs[1]!, progress(['01'])).join('\n');
    expect(said).not.toMatch(/every lab/);
    expect(said).toMatch(/last lab written so far \(00 and 01\); not done yet: lab 00 \("npx tall check 00"\)/);
  });

  it('a gap in the path: the unwritten lab is skipped, the next written one is where to go', () => {
    const labs = manifest(['00', '02']);
    const said = afterLab(labs, labs.labs[0]!).join('\n');
    expect(said).toMatch(/lab 01 · Second steps is not written yet/);
    expect(said).toMatch(/next: lab 02 · Data services\n\s+read .*02-third\/README\.md/);
  });

  it('the summary of "tall check" says it too', () => {
    const labs = manifest(['00', '01']);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(String(line)));
    printSummary(passed('01'), labs.labs[1]!, labs, '/', progress(['00', '01']));
    const said = lines.join('\n');
    expect(said).toMatch(/✔ lab 01 done! 4\/4 checks passed/);
    expect(said).toMatch(/you have done every lab written so far/);
    expect(said).not.toMatch(/\(not written yet\)|read .*02-third/);
  });

  it('"00–03" when the labs written follow each other', () => {
    expect(writtenSoFar(manifest(['00', '01', '02', '03']))).toBe('00–03');
    expect(writtenSoFar(manifest(['00', '02', '03']))).toBe('00, 02, 03');
  });
});

describe('the CLI', () => {
  const root = kit({
    'labs/manifest.yaml': MANIFEST,
    'labs/00-first/checks.ts': CHECKS,
    'labs/00-first/README.md': '# Lab 00\n',
    'services/compose.yaml': 'services: {}\n',
    'services/shop/a.txt': 'mine\n',
    'services/shop/b.txt': 'same\n',
    'solutions/start/compose.yaml': 'services: {}\n',
    'solutions/00-first/compose.yaml': 'services: {}\n',
    'solutions/00-first/shop/a.txt': 'solved\n',
    'solutions/00-first/shop/b.txt': 'same\n',
  });
  const tall = new TallSandbox(root);

  it('"tall check" of a lab not written yet lists only the labs written so far as doable', async () => {
    const run = await tall.run(['check', '02']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/lab 02 \(third\) is not written yet/);
    expect(run.stderr).toMatch(/the labs written so far, which you can do:\n\s+00\s+first\n"npx tall labs"/);
    expect(run.stderr).not.toMatch(/0[123]\s+(second|third|fourth)/);
  });

  it('"tall diff": 1 file differs', async () => {
    const run = await tall.run(['diff', '00', '--stat']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\b1 file differs\./);
    expect(run.stdout).not.toMatch(/1 file differ\b/);
  });

  it('"tall labs" once the last lab written so far is done: says so instead of sending the learner to check it again', async () => {
    mkdirSync(join(root, '.tall'), { recursive: true });
    writeFileSync(join(root, '.tall', 'progress.json'), JSON.stringify({ version: 1, current: '00', labs: { '00': { status: 'done', attempts: 1, hintsShown: {} } } }));
    const run = await tall.run(['labs']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/you have done every lab written so far \(00\)/);
    expect(run.stdout).toMatch(/lab 01 · Second steps — not written yet/);
    expect(run.stdout).not.toMatch(/next: npx tall check/);
  });
});
