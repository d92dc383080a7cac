/**
 * The feedback pages and the class overview, rendered from a hand-made grade report and opened in headless Chromium
 * (playwright-core on the system's browser): what a student and an instructor see, that text from students stays
 * text (no dialog, no injected element), and that the overview links to each feedback page. The overview's screenshot
 * is written to .tall/artifacts/grade-overview.png for people to look at.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import MarkdownIt from 'markdown-it';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRADE_SCHEMA, type CheckGrade, type GradeReport, type StudentGrade } from '../../src/grading/grade-report.js';
import { renderFeedbackHtml, renderFeedbackMarkdown } from '../../src/grading/pages/feedback-page.js';
import { checksToReteach, renderOverviewHtml } from '../../src/grading/pages/overview-page.js';
import { findChromium, launchChromium } from '../../src/slides/chromium.js';
import { REPO } from '../support/tall-cli.js';

const chromiumPath = findChromium();
if (!chromiumPath) console.warn('SKIPPED the grading pages\' browser test: no Chromium found (.ci/install-browser.sh, or set TALL_CHROMIUM)');
const SCREENSHOT = join(REPO, '.tall', 'artifacts', 'grade-overview.png');

const INJECTION = 'GET /catalog/products answered 500: <script>alert(1)</script><img src=x onerror=alert(1)>';

const LAB01 = {
  id: '01',
  slug: 'rapid-deployment',
  title: 'Rapid application deployment',
  possible: 6,
  checks: [
    { name: 'health-endpoints', title: 'every service answers GET /health with 200', points: 2, hidden: false },
    { name: 'graceful-stop', title: 'SIGTERM drains requests in flight', points: 3, hidden: false },
    { name: 'x-extra-version', title: 'the version label reaches every answer', points: 1, hidden: true },
  ],
};

function check(index: number, status: CheckGrade['status'], message: string, hints: string[] = []): CheckGrade {
  const outline = LAB01.checks[index]!;
  return { name: outline.name, title: outline.title, hidden: outline.hidden, status, points: status === 'passed' ? outline.points : 0, maxPoints: outline.points, message, hints };
}

function student(id: string, name: string, checks: CheckGrade[], extra: Partial<StudentGrade> = {}): StudentGrade {
  const earned = checks.reduce((sum, c) => sum + c.points, 0);
  const penalty = extra.points?.penalty ?? 0;
  return {
    id,
    name,
    source: `/class/${id}`,
    commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    committedAt: '2026-11-20T10:00:00.000Z',
    late: false,
    verdict: 'graded',
    reasons: [],
    tampered: [],
    labs: checks.length ? [{ id: '01', slug: LAB01.slug, title: LAB01.title, points: { earned, possible: 6 }, checks, incidents: [] }] : [],
    points: { earned, possible: 6, penalty, total: earned - penalty },
    durationMs: 30_000,
    ...extra,
  };
}

const HINTS = ['Look at what SIGTERM does by default.', 'Stop accepting, finish what is in flight, then exit: server.close().'];

const report: GradeReport = {
  schema: GRADE_SCHEMA,
  generatedAt: '2026-11-27T09:00:00.000Z',
  options: { labs: ['01'], deadline: '2026-11-21T00:00:00.000Z', latePenalty: 0.2, runtime: 'process', containment: 'bubblewrap' },
  labs: [LAB01],
  students: [
    student('ada', 'Ada Full', [check(0, 'passed', 'answered by catalog/1 and catalog/2'), check(1, 'passed', 'drained 3 requests'), check(2, 'passed', 'hidden check 1 passed')]),
    student('bob', 'Bob <b>Half</b>', [
      check(0, 'failed', INJECTION, ['Add an /health route to every service.']),
      check(1, 'passed', 'drained 3 requests'),
      check(2, 'failed', 'hidden check 1 failed'),
    ], { tampered: ['labs/01-rapid-deployment/checks.ts'] }),
    student('cy', 'Cy Late', [check(0, 'passed', 'answered by catalog/1'), check(1, 'failed', 'the request in flight was cut off: socket hang up', HINTS), check(2, 'passed', 'hidden check 1 passed')], {
      late: true,
      committedAt: '2026-11-22T08:00:00.000Z',
      points: { earned: 3, possible: 6, penalty: 0.6, total: 2.4 },
    }),
    student('dee', 'Dee Refused', [], {
      verdict: 'refused',
      commit: undefined,
      reasons: ['services/web/link points outside the repository (/etc/passwd)'],
      points: { earned: 0, possible: 6, penalty: 0, total: 0 },
    }),
  ],
  similarity: [
    { kind: 'solution', students: ['bob'], solution: '01', percent: 100, identical: true, detail: 'identical, file for file, to solutions/01' },
    { kind: 'peer', students: ['ada', 'cy'], percent: 72.5, identical: false, detail: 'ada: 72.5 % of 40 own lines in cy\'s' },
  ],
};

describe('feedback as markdown', () => {
  const bob = renderFeedbackMarkdown(report, report.students[1]!);
  const cy = renderFeedbackMarkdown(report, report.students[2]!);

  it('lists each check with its mark, points and message, hidden checks by number only', () => {
    expect(bob).toContain('Bob \\<b\\>Half\\</b\\>');
    expect(bob).toMatch(/\| ✘ \| every service answers GET \/health with 200 \| 0\/2 \|/);
    expect(bob).toMatch(/\| ✔ \| SIGTERM drains requests in flight \| 3\/3 \| drained 3 requests \|/);
    expect(bob).toMatch(/\| ✘ \| hidden check 1 \| 0\/1 \| hidden check 1 failed \|/);
    expect(bob).not.toContain('the version label reaches every answer');
    expect(bob).toContain('Graded: a1b2c3d');
    expect(bob).toContain("you changed labs/01-rapid-deployment/checks.ts; grading used the instructor's copy");
    expect(bob).toContain('**Total: 3/6**');
  });

  it('gives the late penalty, the hints of failed checks and what to run next', () => {
    expect(cy).toContain('Late: submitted after the deadline 2026-11-21T00:00:00.000Z; penalty 0.6 points (20 % of the points)');
    expect(cy).toContain('**Total: 3/6 − 0.6 late penalty = 2.4**');
    expect(cy).toContain('1. Look at what SIGTERM does by default.');
    expect(cy).toContain('npx tall check 01');
    expect(cy).toContain('npx tall hint 01');
  });

  it('keeps student text as text, even for a renderer that allows raw HTML', () => {
    const html = new MarkdownIt({ html: true }).render(bob);
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('says why a refused submission was not graded', () => {
    const dee = renderFeedbackMarkdown(report, report.students[3]!);
    expect(dee).toContain('Refused: the submission was not run');
    expect(dee).toContain('services/web/link points outside the repository (/etc/passwd)');
  });
});

describe('the overview, computed', () => {
  it('ranks checks by how many graded students failed them, with the most common message', () => {
    const rows = checksToReteach(report);
    expect(rows.map((r) => [r.check, r.failed])).toEqual([['health-endpoints', 1], ['graceful-stop', 1], ['x-extra-version', 1]]);
    expect(rows[1]!.commonMessage).toBe('the request in flight was cut off: socket hang up');
    expect(rows.every((r) => r.graded === 3)).toBe(true);
  });
});

describe.skipIf(!chromiumPath)('the grading pages in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tall-grade-pages-'));
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(join(dir, 'feedback'));
    for (const s of report.students) writeFileSync(join(dir, 'feedback', `${s.id}.html`), renderFeedbackHtml(report, s));
    writeFileSync(join(dir, 'index.html'), renderOverviewHtml(report));
    browser = await launchChromium(chromiumPath);
    page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file://')) problems.push(`request: ${request.url()}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a student their checks, points, messages and hints, with the injected markup as plain text', async () => {
    await page.goto(pathToFileURL(join(dir, 'feedback', 'bob.html')).href);
    const body = await page.locator('body').innerText();
    expect(body).toContain('Feedback for Bob <b>Half</b>');
    expect(body).toContain(INJECTION);
    expect(body).toContain('hidden check 1');
    expect(body).not.toContain('the version label reaches every answer');
    expect(await page.locator('#total').innerText()).toBe('Total: 3/6');
    expect(await page.locator('#tampered').innerText()).toContain("you changed labs/01-rapid-deployment/checks.ts; grading used the instructor's copy");
    // nothing from the message became an element or ran
    expect(await page.locator('body img, body script, td b').count()).toBe(0);
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);

    await page.goto(pathToFileURL(join(dir, 'feedback', 'cy.html')).href);
    const failed = page.locator('tr.check.failed');
    expect(await failed.count()).toBe(1);
    await failed.locator('summary').click();
    expect(await failed.locator('details li').allInnerTexts()).toEqual(HINTS);
    expect(await page.locator('.meta').innerText()).toContain('penalty 0.6 points (20 % of the points)');
    expect(await page.locator('#next').innerText()).toContain('npx tall check 01');
  });

  it('gives the instructor the class at a glance, and links to each feedback page', async () => {
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    const value = (key: string) => page.locator(`#summary tr[data-key="${key}"] td`).innerText();
    expect(await value('students')).toBe('4');
    expect(await value('graded')).toBe('3');
    expect(await value('refused')).toBe('1');
    expect(await value('late')).toBe('1');
    expect(await value('mean')).toBe('3.8/6');
    expect(await value('median')).toBe('3/6');
    expect(await page.locator('figure.histogram[data-lab="01"] g[data-bin="6"]').getAttribute('data-count')).toBe('1');
    expect(await page.locator('#reteach tbody tr').count()).toBe(3);
    expect(await page.locator('#students tr[data-student="cy"]').innerText()).toContain('late (−0.6)');
    expect(await page.locator('#students tr[data-student="dee"]').innerText()).toContain('refused');
    expect(await page.locator('#tampering').innerText()).toContain('labs/01-rapid-deployment/checks.ts');
    expect(await page.locator('#incidents').innerText()).toContain('refused: services/web/link points outside the repository');
    expect(await page.locator('#similarity').innerText()).toMatch(/bob ≈ solution 01\s+100 %\s*identical/);
    expect(await page.locator('#similarity').innerText()).toContain('72.5 %');
    expect(await page.locator('body img, body script, td b').count()).toBe(0);
    expect(await page.locator('#reteach').innerText()).toContain(INJECTION);

    mkdirSync(join(REPO, '.tall', 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`grade overview screenshot: ${SCREENSHOT}`);

    await page.locator('#students tr[data-student="cy"] a').click();
    await page.waitForURL(/feedback\/cy\.html$/);
    expect(await page.locator('h1').innerText()).toBe('Feedback for Cy Late');
    expect(problems).toEqual([]);
  });
});
