// The Markdown summary of `tall check --all --summary`, on hand-made results: the table, the total, escaping, cutting.
import { describe, expect, it } from 'vitest';
import { checkAllReport, renderCheckSummary, tableCell } from '../../src/labs/check-summary.js';
import type { CheckResult, LabResult } from '../../src/labs/runner.js';

function check(name: string, status: CheckResult['status'], maxPoints: number, message?: string): CheckResult {
  return { name, title: `check ${name}`, status, points: status === 'passed' ? maxPoints : 0, maxPoints, durationMs: 10, timeoutMs: 1000, message, notes: [], hints: 0 };
}

function lab(id: string, title: string, checks: CheckResult[], platform: Partial<LabResult['platform']> = {}): LabResult {
  const summary = { passed: 0, failed: 0, skipped: 0 };
  for (const one of checks) summary[one.status] += 1;
  return {
    lab: { id, slug: `lab-${id}`, title },
    runtime: 'process',
    ok: checks.every((one) => one.status === 'passed'),
    startedAt: '2026-11-27T00:00:00.000Z',
    durationMs: 1000,
    platform: { name: 'default', started: true, startMs: 500, ...platform },
    environments: [],
    checks,
    points: { earned: checks.reduce((sum, one) => sum + one.points, 0), possible: checks.reduce((sum, one) => sum + one.maxPoints, 0) },
    summary,
    workspace: '/tmp/slot-1',
  };
}

describe('the check summary (Markdown)', () => {
  const labs = [
    lab('00', 'Get tall', [check('a', 'passed', 2), check('b', 'passed', 1)]),
    lab('01', 'Routing | balancing', [check('health', 'failed', 2, 'GET /<service>/health answered 404 | 500\nexpected 200'), check('drain', 'passed', 3)]),
    lab('02', 'Environments', [check('x', 'skipped', 4, 'not run: the shop did not start (see above)')], { started: false, failure: { service: 'web', reason: 'web/1 exited with code 1\nwhile starting', logTail: [] } }),
  ];
  const markdown = renderCheckSummary(checkAllReport(labs));

  it('adds up the points of every lab', () => {
    expect(checkAllReport(labs)).toEqual({ schema: 'tall-check-all/1', labs, points: { earned: 6, possible: 12 } });
    expect(checkAllReport(labs, true).interrupted).toBe(true);
  });

  it('a table of the labs with points and checks, and the total under it', () => {
    expect(markdown).toContain([
      '| lab | title | points | checks passed / failed / skipped |',
      '|---|---|---|---|',
      '| ✅ 00 | Get tall | 3/3 | 2 / 0 / 0 |',
      '| ❌ 01 | Routing \\| balancing | 3/5 | 1 / 1 / 0 |',
      '| ❌ 02 | Environments | 0/4 | 0 / 0 / 1 |',
      '| **total** | | **6/12** | **3 / 1 / 1** |',
    ].join('\n'));
    expect(markdown.startsWith('## Lab checks: 6/12 points\n\n1 of 3 labs pass every check (process runtime).\n')).toBe(true);
  });

  it('under it, each failed check with its message: | escaped, line breaks as <br>, no HTML', () => {
    expect(markdown).toContain('### Lab 01 · Routing \\| balancing\n\n| failed check | points | why |\n|---|---|---|\n| check health | 0/2 | GET /&lt;service&gt;/health answered 404 \\| 500<br>expected 200 |');
    expect(markdown).not.toContain('### Lab 00');
  });

  it('a lab whose shop did not start says why, and how many checks were not run', () => {
    expect(markdown).toContain('### Lab 02 · Environments\n\nThe shop did not start: web/1 exited with code 1<br>while starting\n\n1 check not run.');
  });

  it('every table row stays one line with as many cells as its header', () => {
    const cells = (row: string) => row.replace(/\\\|/g, '').split('|').length - 2;
    const tables = markdown.split(/\n(?!\|)/).map((block) => block.split('\n').filter((line) => line.startsWith('|'))).filter((rows) => rows.length);
    expect(tables.map((rows) => rows.length)).toEqual([6, 3]);
    for (const rows of tables) for (const row of rows) expect(cells(row), row).toBe(cells(rows[0]!));
  });

  it('long messages are cut with "…"; the interrupted run and a crash say so', () => {
    expect(tableCell('x'.repeat(500), 300)).toBe(`${'x'.repeat(299)}…`);
    expect(tableCell('a|b\r\n\nc')).toBe('a\\|b<br>c');
    const interrupted = renderCheckSummary(checkAllReport(labs.slice(0, 1), true));
    expect(interrupted).toContain('_Interrupted: the labs after the last one listed were not run._');
    expect(renderCheckSummary(checkAllReport([]), { problem: 'cannot load labs/01/checks.ts | oops' })).toContain('**The checks could not complete:** cannot load labs/01/checks.ts \\| oops');
  });
});
