/**
 * A student's feedback, from their entry in the grade report: as markdown (to commit into their repository or mail)
 * and as a static HTML page (to open or print). Both say the same things in the same order; what differs is only how
 * student-supplied text is made harmless: backslash escapes in markdown, HTML escapes in the page.
 */
import type { CheckGrade, GradeReport, LabGrade, StudentGrade } from '../grade-report.js';
import { formatNumber, points, shortCommit } from './format.js';
import { escapeHtml, htmlPage } from './html-page.js';

const MARK = { passed: '✔', failed: '✘', skipped: '–' } as const;

/** One check as the learner sees it: hidden checks keep their number, never their name or title. */
interface CheckRow {
  mark: string;
  status: CheckGrade['status'];
  title: string;
  points: string;
  message?: string;
  hints: string[];
}

interface LabView {
  heading: string;
  points: string;
  rows: CheckRow[];
  incidents: string[];
}

/** What the two renderings share, worked out once so they cannot drift apart. */
interface FeedbackView {
  title: string;
  facts: string[];
  verdict?: { label: string; reasons: string[] };
  tampered: string[];
  labs: LabView[];
  total: string;
  next: string[];
}

const VERDICT_LABEL: Record<Exclude<StudentGrade['verdict'], 'graded'>, string> = {
  refused: 'Refused: the submission was not run',
  'not-submitted': 'Not submitted: there was nothing to grade',
  error: 'Not finished: grading could not complete',
};

function checkRows(lab: LabGrade): CheckRow[] {
  let hidden = 0;
  return lab.checks.map((check) => ({
    mark: MARK[check.status],
    status: check.status,
    title: check.hidden ? `hidden check ${++hidden}` : check.title,
    points: points(check.points, check.maxPoints),
    message: check.message,
    hints: check.status === 'failed' && !check.hidden ? check.hints : [],
  }));
}

function nextSteps(student: StudentGrade): string[] {
  if (student.verdict === 'not-submitted') return ['Nothing was graded. Check that your repository has a `services/` folder and a commit before the deadline.'];
  if (student.verdict === 'refused') return ['Fix what the reasons above name, commit, and ask your instructor whether a new submission is still graded.'];
  const open = student.labs.filter((lab) => lab.checks.some((check) => check.status !== 'passed'));
  const steps = open.map(
    (lab) => `Lab ${lab.id}: run \`npx tall check ${lab.id}\` to see the failing checks again, then \`npx tall hint ${lab.id}\` for a hint on the first one (again for a more precise one).`,
  );
  if (student.tampered.length) steps.push('Restore the instructor-owned files you changed (they were not used for grading, so changing them cannot help).');
  // our own prose, never student text: the markdown writes it as it is
  if (steps.length === 0 && student.verdict === 'graded') steps.push('Nothing: every check passed.');
  if (student.verdict === 'error') steps.push('Grading did not finish, for the reasons above; your instructor sees them too. Running `npx tall check` locally shows where you stand.');
  return steps;
}

function feedbackView(report: GradeReport, student: StudentGrade): FeedbackView {
  const facts = [`Student: ${student.name} (${student.id})`];
  if (student.commit) facts.push(`Graded: ${shortCommit(student.commit)}${student.committedAt ? `, committed ${student.committedAt}` : ''}`);
  if (student.late) {
    const rate = report.options.latePenalty === undefined ? '' : ` (${formatNumber(report.options.latePenalty * 100)} % of the points)`;
    facts.push(`Late: submitted after the deadline${report.options.deadline ? ` ${report.options.deadline}` : ''}; penalty ${formatNumber(student.points.penalty)} points${rate}`);
  }
  if (student.ignoredLateCommits) facts.push(`Commits after the deadline, not graded: ${student.ignoredLateCommits}`);
  const incidents = student.labs.flatMap((lab) => lab.incidents);
  const verdict =
    student.verdict !== 'graded'
      ? { label: VERDICT_LABEL[student.verdict], reasons: student.reasons }
      : student.reasons.length || incidents.length
        ? { label: 'Graded, with incidents', reasons: student.reasons }
        : undefined;
  return {
    title: `Feedback for ${student.name}`,
    facts,
    verdict,
    tampered: student.tampered,
    labs: student.labs.map((lab) => ({
      heading: `Lab ${lab.id}: ${lab.title}`,
      points: points(lab.points.earned, lab.points.possible),
      rows: checkRows(lab),
      incidents: lab.incidents,
    })),
    total:
      `${points(student.points.earned, student.points.possible)}` +
      (student.points.penalty ? ` − ${formatNumber(student.points.penalty)} late penalty = ${formatNumber(student.points.total)}` : ''),
    next: nextSteps(student),
  };
}

// ---- markdown ----

/**
 * Student text inside markdown: backslash-escape everything that could become markup (a tag, a link, a table cell
 * border, emphasis) and keep it on one line so it cannot end a table row or start a heading.
 */
export function markdownText(text: string): string {
  return text.replace(/[\\`*_[\]<>|#~&!]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ↵ ');
}

export function renderFeedbackMarkdown(report: GradeReport, student: StudentGrade): string {
  const view = feedbackView(report, student);
  const out = [`# ${markdownText(view.title)}`, '', ...view.facts.map((fact) => `- ${markdownText(fact)}`), ''];
  if (view.verdict) {
    out.push(`**${view.verdict.label}**`, '', ...view.verdict.reasons.map((reason) => `- ${markdownText(reason)}`), '');
  }
  if (view.tampered.length) {
    out.push('## Files you must not change', '');
    for (const file of view.tampered) out.push(`- you changed ${markdownText(file)}; grading used the instructor's copy`);
    out.push('');
  }
  for (const lab of view.labs) {
    out.push(`## ${markdownText(lab.heading)} — ${lab.points}`, '', '| | check | points | message |', '|---|---|---|---|');
    for (const row of lab.rows) {
      const status = row.status === 'skipped' ? `${row.mark} skipped` : row.mark;
      out.push(`| ${status} | ${markdownText(row.title)} | ${row.points} | ${markdownText(row.message ?? '')} |`);
    }
    out.push('');
    for (const incident of lab.incidents) out.push(`- incident: ${markdownText(incident)}`);
    const hinted = lab.rows.filter((row) => row.hints.length);
    for (const row of hinted) {
      out.push(`Hints for “${markdownText(row.title)}”:`, '', ...row.hints.map((hint, i) => `${i + 1}. ${markdownText(hint)}`), '');
    }
    if (lab.incidents.length && !hinted.length) out.push('');
  }
  out.push(`**Total: ${view.total}**`, '', '## What to do next', '', ...view.next.map((step) => `- ${step}`), '');
  return out.join('\n');
}

// ---- HTML ----

/** Our prose with `code` spans: escape it all, then turn the backtick pairs into <code>. */
function htmlProse(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function htmlLab(lab: LabView): string {
  const rows = lab.rows
    .map((row) => {
      const hints = row.hints.length
        ? `<details><summary>${row.hints.length === 1 ? 'a hint' : `${row.hints.length} hints`}</summary><ol>${row.hints.map((hint) => `<li>${escapeHtml(hint)}</li>`).join('')}</ol></details>`
        : '';
      return (
        `<tr class="check ${row.status}"><td class="${row.status}" title="${row.status}">${row.mark}${row.status === 'skipped' ? ' skipped' : ''}</td>` +
        `<td>${escapeHtml(row.title)}</td><td class="num">${row.points}</td>` +
        `<td><div class="msg">${escapeHtml(row.message ?? '')}</div>${hints}</td></tr>`
      );
    })
    .join('\n');
  const incidents = lab.incidents.length ? `<div class="box note"><strong>Incidents</strong><ul>${lab.incidents.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul></div>` : '';
  return (
    `<section class="lab"><h2>${escapeHtml(lab.heading)} <span class="badge">${lab.points}</span></h2>\n` +
    `<table><thead><tr><th></th><th>check</th><th class="num">points</th><th>message</th></tr></thead><tbody>\n${rows}\n</tbody></table>${incidents}</section>`
  );
}

export function renderFeedbackHtml(report: GradeReport, student: StudentGrade): string {
  const view = feedbackView(report, student);
  const parts = [`<h1>${escapeHtml(view.title)}</h1>`, `<ul class="meta">${view.facts.map((fact) => `<li>${escapeHtml(fact)}</li>`).join('')}</ul>`];
  if (view.verdict) {
    parts.push(`<div class="box" id="verdict"><strong>${escapeHtml(view.verdict.label)}</strong><ul>${view.verdict.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul></div>`);
  }
  if (view.tampered.length) {
    parts.push(
      `<div class="box note" id="tampered"><strong>Files you must not change</strong><ul>` +
        view.tampered.map((file) => `<li>you changed <code>${escapeHtml(file)}</code>; grading used the instructor's copy</li>`).join('') +
        `</ul></div>`,
    );
  }
  parts.push(...view.labs.map(htmlLab));
  parts.push(`<p class="total" id="total">Total: ${escapeHtml(view.total)}</p>`);
  parts.push(`<h2>What to do next</h2><ul id="next">${view.next.map((step) => `<li>${htmlProse(step)}</li>`).join('')}</ul>`);
  parts.push(`<p class="muted">Graded ${escapeHtml(report.generatedAt)} · tall grade</p>`);
  return htmlPage(view.title, parts.join('\n'));
}
