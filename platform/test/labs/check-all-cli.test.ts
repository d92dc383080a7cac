// `tall check --all` end to end, on the platform's own test system (fixtures/mini): every lab with checks in order, each
// on a throwaway platform of its own; the Markdown summary appended to a file, the JSON, and the exit codes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckAllReport } from '../../src/labs/check-summary.js';
import { TallSandbox } from '../support/tall-cli.js';
import { CHECK_API, miniLabKit } from './mini-kit.js';

const MANIFEST = `labs:
  - { id: "00", slug: first, title: The first lab, topic: testing, feature: none, start_timeout: 60s }
  - { id: "01", slug: later, title: Not written yet, topic: t, feature: none }
  - { id: "02", slug: second, title: The second lab | with a bar, topic: testing, feature: none, start_timeout: 60s }
`;

const FIRST = `import { defineChecks, fail } from '${CHECK_API}';
export default defineChecks({
  checks: [
    { name: 'echo-answers', title: 'echo answers through the router', points: 2, timeout: '10s',
      async run(ctx) { if ((await ctx.http.get('/echo/')).status !== 200) fail('no answer'); } },
    { name: 'three-echoes', title: 'three echo instances', points: 1, timeout: '10s',
      async run(ctx) {
        const echo = (await ctx.services()).find((s) => s.name === 'echo');
        if (echo?.desired !== 3) fail('echo | runs ' + echo?.desired + ' instances\\nexpected 3 <instances>');
      } },
  ],
});
`;

const SECOND = `import { defineChecks } from '${CHECK_API}';
export default defineChecks({
  checks: [{ name: 'services', title: 'the platform lists echo', points: 3, timeout: '10s', async run(ctx) { await ctx.services(); } }],
});
`;

describe('tall check --all', () => {
  const root = miniLabKit('tall-checkall-', MANIFEST, { '00-first': FIRST, '02-second': SECOND });
  const tall = new TallSandbox(root);
  const summaryFile = join(mkdtempSync(join(tmpdir(), 'tall-summary-')), 'summary.md');
  let code: number;
  let report: CheckAllReport;
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    writeFileSync(summaryFile, '# earlier step\n');
    const run = await tall.run(['check', '--all', '--runtime', 'process', '--summary', summaryFile, '--json']);
    code = run.code;
    expect(run.stderr).toBe('');
    report = JSON.parse(run.stdout) as CheckAllReport;
  });

  it('runs every lab that has checks, in the manifest\'s order, and exits 0 although a check failed', () => {
    expect(code).toBe(0);
    expect(report.schema).toBe('tall-check-all/1');
    expect(report.labs.map((lab) => [lab.lab.id, lab.ok, lab.points, lab.summary])).toEqual([
      ['00', false, { earned: 2, possible: 3 }, { passed: 1, failed: 1, skipped: 0 }],
      ['02', true, { earned: 3, possible: 3 }, { passed: 1, failed: 0, skipped: 0 }],
    ]);
    expect(report.points).toEqual({ earned: 5, possible: 6 });
    expect(report.interrupted).toBeUndefined();
  });

  it('appends the Markdown summary to the file: the table, the total, and the failed check\'s message made safe for a table', () => {
    const summary = readFileSync(summaryFile, 'utf8');
    expect(summary.startsWith('# earlier step\n## Lab checks: 5/6 points\n')).toBe(true);
    expect(summary).toContain('| ❌ 00 | The first lab | 2/3 | 1 / 1 / 0 |');
    expect(summary).toContain('| ✅ 02 | The second lab \\| with a bar | 3/3 | 1 / 0 / 0 |');
    expect(summary).toContain('| **total** | | **5/6** | **2 / 1 / 0** |');
    expect(summary).toContain('| three echo instances | 0/1 | echo \\| runs 2 instances<br>expected 3 &lt;instances&gt; |');
    expect(summary).not.toContain('### Lab 02');
  });

  it('records progress as "tall check NN" does', async () => {
    const labs = await tall.json<{ labs: { id: string; status: string }[] }>(['labs']);
    expect(labs.labs.map((lab) => [lab.id, lab.status])).toEqual([['00', 'started'], ['01', 'not started'], ['02', 'done']]);
  });

  it('--strict exits 1 when a check failed; --json-file writes the same JSON beside the people\'s output', async () => {
    const jsonFile = join(root, 'tall-check.json');
    const run = await tall.run(['check', '--all', '--runtime', 'process', '--strict', '--json-file', jsonFile]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/Lab 00 · The first lab[\s\S]*✘ 1\/2 checks passed · 2\/3 points[\s\S]*Lab 02 · The second lab/);
    expect(run.stdout).toMatch(/1 of 2 labs pass every check · 5\/6 points/);
    const written = JSON.parse(readFileSync(jsonFile, 'utf8')) as CheckAllReport;
    expect(written).toMatchObject({ schema: 'tall-check-all/1', points: { earned: 5, possible: 6 } });
    expect(written.labs.map((lab) => lab.lab.id)).toEqual(['00', '02']);
  });

  it('usage errors: a lab named with --all, or --summary without --all', async () => {
    const named = await tall.run(['check', '00', '--all']);
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/--all checks every lab: name no lab \("00"\)/);
    const alone = await tall.run(['check', '00', '--summary', summaryFile]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--summary, --json-file and --strict go with --all/);
  });
});
