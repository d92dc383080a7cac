/**
 * `tall check --all --summary FILE`: the run as Markdown, for GitHub's job summary ($GITHUB_STEP_SUMMARY): a table of the
 * labs with their points and checks, the total, and under it each lab's failed checks with what they told the learner.
 */
import type { LabResult } from './runner.js';

/** What `tall check --all --json` prints (documented in README.md, "Labs"). */
export interface CheckAllReport {
  schema: 'tall-check-all/1';
  labs: LabResult[];
  points: { earned: number; possible: number };
  /** set when Ctrl-C stopped the run: the labs after the last one listed were not run */
  interrupted?: true;
}

export function checkAllReport(labs: LabResult[], interrupted = false): CheckAllReport {
  const points = { earned: 0, possible: 0 };
  for (const lab of labs) {
    points.earned += lab.points.earned;
    points.possible += lab.points.possible;
  }
  return { schema: 'tall-check-all/1', labs, points, ...(interrupted || labs.some((lab) => lab.interrupted) ? { interrupted: true as const } : {}) };
}

const TITLE_LIMIT = 80;
const MESSAGE_LIMIT = 300;

/** One line of text safe in a Markdown table cell: `|` escaped, line breaks as <br>, no HTML, cut to `limit` with "…". */
export function tableCell(text: string, limit = MESSAGE_LIMIT): string {
  const flat = text.trim().replace(/\r\n?/g, '\n');
  const cut = flat.length > limit ? `${flat.slice(0, limit - 1).trimEnd()}…` : flat;
  return cut
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\n+/g, '<br>');
}

const counts = (summary: LabResult['summary']) => `${summary.passed} / ${summary.failed} / ${summary.skipped}`;

/** The Markdown summary; `problem` is a line to add when the run did not complete (the tooling crashed). */
export function renderCheckSummary(report: CheckAllReport, options: { problem?: string } = {}): string {
  const { labs, points } = report;
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const lab of labs) for (const key of ['passed', 'failed', 'skipped'] as const) total[key] += lab.summary[key];
  const runtime = labs[0]?.runtime;
  const lines = [
    `## Lab checks: ${points.earned}/${points.possible} points`,
    '',
    `${labs.filter((lab) => lab.ok).length} of ${labs.length} labs pass every check${runtime ? ` (${runtime} runtime)` : ''}.`,
    '',
    '| lab | title | points | checks passed / failed / skipped |',
    '|---|---|---|---|',
    ...labs.map((lab) => `| ${lab.ok ? '✅' : '❌'} ${tableCell(lab.lab.id)} | ${tableCell(lab.lab.title, TITLE_LIMIT)} | ${lab.points.earned}/${lab.points.possible} | ${counts(lab.summary)} |`),
    `| **total** | | **${points.earned}/${points.possible}** | **${counts(total)}** |`,
  ];
  if (report.interrupted) lines.push('', '_Interrupted: the labs after the last one listed were not run._');
  if (options.problem) lines.push('', `**The checks could not complete:** ${tableCell(options.problem)}`);
  for (const lab of labs) lines.push(...labDetails(lab));
  lines.push('', '_Feedback on this push only: your grade comes from your instructor\'s `tall grade`. Locally, `npx tall check NN` shows a lab\'s checks in full and `npx tall hint NN` gives hints._', '');
  return lines.join('\n');
}

/** A lab that did not pass: why the shop did not start, or its failed checks with their messages. */
function labDetails(lab: LabResult): string[] {
  if (lab.ok) return [];
  const failed = lab.checks.filter((check) => check.status === 'failed');
  const lines = ['', `### Lab ${tableCell(lab.lab.id)} · ${tableCell(lab.lab.title, TITLE_LIMIT)}`, ''];
  if (!lab.platform.started) lines.push(`The shop did not start: ${tableCell(lab.platform.failure?.reason ?? '(no reason recorded)')}`, '');
  if (failed.length) {
    lines.push('| failed check | points | why |', '|---|---|---|');
    for (const check of failed) lines.push(`| ${tableCell(check.title, TITLE_LIMIT)} | 0/${check.maxPoints} | ${tableCell(check.message ?? '(no reason given)')} |`);
  }
  if (lab.summary.skipped) lines.push(...(failed.length ? [''] : []), `${lab.summary.skipped} check${lab.summary.skipped === 1 ? '' : 's'} not run${lab.interrupted ? ' (interrupted)' : ''}.`);
  return lines;
}
