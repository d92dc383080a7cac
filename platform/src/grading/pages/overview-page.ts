/**
 * The instructor's page for a whole class, from the grade report: how the class did, which checks to reteach, every
 * student with a link to their feedback page, and what needs a person's look (tampering, incidents, similarity).
 * Static and self-contained like the feedback pages; the charts are SVG drawn here, so nothing is loaded or run.
 */
import type { GradeReport, LabOutline, SimilarityFinding, StudentGrade } from '../grade-report.js';
import { formatNumber, points } from './format.js';
import { escapeHtml, htmlPage } from './html-page.js';

/** Where a student's feedback page is, relative to the overview: the report's own path when it is a plain relative one. */
export function feedbackHref(student: StudentGrade): string {
  const given = student.feedback?.html;
  if (given && /^[\w./-]+$/.test(given) && !given.startsWith('/') && !given.split('/').includes('..')) return given;
  return `feedback/${encodeURIComponent(student.id)}.html`;
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mean(values: number[]): number | undefined {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

function summary(report: GradeReport): string {
  const count = (verdict: StudentGrade['verdict']) => report.students.filter((s) => s.verdict === verdict).length;
  const totals = report.students.filter((s) => s.verdict === 'graded').map((s) => s.points.total);
  const possible = report.labs.reduce((sum, lab) => sum + lab.possible, 0);
  const show = (value: number | undefined) => (value === undefined ? '—' : `${formatNumber(value)}/${formatNumber(possible)}`);
  const rows: [string, string, string][] = [
    ['students', 'students', String(report.students.length)],
    ['graded', 'graded', String(count('graded'))],
    ['refused', 'refused', String(count('refused'))],
    ['not-submitted', 'not submitted', String(count('not-submitted'))],
    ['error', 'grading error', String(count('error'))],
    ['late', 'late', String(report.students.filter((s) => s.late).length)],
    ['mean', 'mean total (graded)', show(mean(totals))],
    ['median', 'median total (graded)', show(median(totals))],
  ];
  return `<table class="summary" id="summary"><tbody>${rows.map(([key, label, value]) => `<tr data-key="${key}"><th>${label}</th><td class="num">${escapeHtml(value)}</td></tr>`).join('')}</tbody></table>`;
}

/** Bins of a histogram of points out of `possible`: one a point while that stays readable, else ten. */
export function histogram(values: number[], possible: number): { from: number; to: number; count: number }[] {
  const binCount = possible <= 20 ? Math.max(1, Math.ceil(possible)) + 1 : 10;
  const width = possible <= 20 ? 1 : possible / binCount;
  const bins = Array.from({ length: binCount }, (_, i) => ({ from: i * width, to: possible <= 20 ? i * width : Math.min(possible, (i + 1) * width), count: 0 }));
  for (const value of values) {
    const index = Math.min(binCount - 1, Math.max(0, Math.floor(value / width)));
    bins[index]!.count++;
  }
  return bins;
}

function histogramSvg(lab: LabOutline, values: number[]): string {
  const bins = histogram(values, lab.possible);
  const max = Math.max(1, ...bins.map((b) => b.count));
  const [w, h, pad] = [Math.max(240, bins.length * 28), 130, 20];
  const barW = (w - pad) / bins.length;
  const bars = bins
    .map((bin, i) => {
      const barH = ((h - 2 * pad) * bin.count) / max;
      const x = pad / 2 + i * barW;
      const label = bin.from === bin.to ? formatNumber(bin.from) : `${formatNumber(bin.from)}–${formatNumber(bin.to)}`;
      return (
        `<g data-bin="${escapeHtml(label)}" data-count="${bin.count}"><title>${escapeHtml(`${label} points: ${bin.count} student(s)`)}</title>` +
        `<rect x="${(x + 2).toFixed(1)}" y="${(h - pad - barH).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${barH.toFixed(1)}" fill="#0969da"/>` +
        (bin.count ? `<text x="${(x + barW / 2).toFixed(1)}" y="${(h - pad - barH - 3).toFixed(1)}" text-anchor="middle">${bin.count}</text>` : '') +
        `<text x="${(x + barW / 2).toFixed(1)}" y="${h - 6}" text-anchor="middle">${escapeHtml(label)}</text></g>`
      );
    })
    .join('');
  return (
    `<figure class="histogram" data-lab="${escapeHtml(lab.id)}"><figcaption>Lab ${escapeHtml(lab.id)}: ${escapeHtml(lab.title)} — points of ${values.length} graded student(s), out of ${formatNumber(lab.possible)}</figcaption>` +
    `<svg role="img" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><line x1="0" y1="${h - pad}" x2="${w}" y2="${h - pad}" stroke="#d0d7de"/>${bars}</svg></figure>`
  );
}

function distributions(report: GradeReport): string {
  const graded = report.students.filter((s) => s.verdict === 'graded');
  return report.labs.map((lab) => histogramSvg(lab, graded.map((s) => s.labs.find((l) => l.id === lab.id)?.points.earned ?? 0))).join('\n');
}

export interface ReteachRow {
  lab: string;
  check: string;
  title: string;
  hidden: boolean;
  failed: number;
  graded: number;
  commonMessage?: string;
  commonCount: number;
}

/** Checks ranked by how many graded students failed them: where the lesson did not land. */
export function checksToReteach(report: GradeReport): ReteachRow[] {
  const graded = report.students.filter((s) => s.verdict === 'graded');
  const rows: ReteachRow[] = [];
  for (const lab of report.labs) {
    for (const check of lab.checks) {
      const messages = new Map<string, number>();
      let failed = 0;
      for (const student of graded) {
        const result = student.labs.find((l) => l.id === lab.id)?.checks.find((c) => c.name === check.name);
        if (result?.status !== 'failed') continue;
        failed++;
        if (result.message) messages.set(result.message, (messages.get(result.message) ?? 0) + 1);
      }
      if (!failed) continue;
      const [commonMessage, commonCount] = [...messages].sort((a, b) => b[1] - a[1])[0] ?? [undefined, 0];
      rows.push({ lab: lab.id, check: check.name, title: check.title, hidden: check.hidden, failed, graded: graded.length, commonMessage, commonCount });
    }
  }
  return rows.sort((a, b) => b.failed - a.failed || a.lab.localeCompare(b.lab));
}

function reteach(report: GradeReport): string {
  const rows = checksToReteach(report);
  if (!rows.length) return '<p class="muted" id="reteach">No graded student failed a check.</p>';
  return (
    `<table id="reteach"><thead><tr><th>lab</th><th>check</th><th class="num">failed</th><th>most common message</th></tr></thead><tbody>` +
    rows
      .map(
        (row) =>
          `<tr data-check="${escapeHtml(`${row.lab}/${row.check}`)}"><td>${escapeHtml(row.lab)}</td><td>${escapeHtml(row.title)}${row.hidden ? ' <span class="badge">hidden</span>' : ''}<br><code>${escapeHtml(row.check)}</code></td>` +
          `<td class="num">${row.failed} of ${row.graded}</td><td><div class="msg">${escapeHtml(row.commonMessage ?? '')}</div>${row.commonMessage ? `<span class="muted">(${row.commonCount}×)</span>` : ''}</td></tr>`,
      )
      .join('') +
    `</tbody></table>`
  );
}

function studentsTable(report: GradeReport): string {
  const head = `<tr><th>id</th><th>name</th>${report.labs.map((lab) => `<th class="num">${escapeHtml(lab.id)}</th>`).join('')}<th class="num">total</th><th>late</th><th>verdict</th><th>feedback</th></tr>`;
  const body = report.students
    .map((student) => {
      const labs = report.labs.map((lab) => {
        const grade = student.labs.find((l) => l.id === lab.id);
        return `<td class="num">${grade ? points(grade.points.earned, grade.points.possible) : '—'}</td>`;
      });
      const verdictClass = student.verdict === 'graded' ? 'ok' : 'bad';
      return (
        `<tr data-student="${escapeHtml(student.id)}"><td>${escapeHtml(student.id)}</td><td>${escapeHtml(student.name)}</td>${labs.join('')}` +
        `<td class="num total-points">${formatNumber(student.points.total)}</td><td>${student.late ? `late (−${formatNumber(student.points.penalty)})` : ''}</td>` +
        `<td><span class="badge ${verdictClass}">${escapeHtml(student.verdict)}</span></td><td><a href="${escapeHtml(feedbackHref(student))}">feedback</a></td></tr>`
      );
    })
    .join('\n');
  return `<table id="students"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

function listOrNone(id: string, items: string[], none: string): string {
  return items.length ? `<ul id="${id}">${items.join('')}</ul>` : `<p class="muted" id="${id}">${none}</p>`;
}

function tampering(report: GradeReport): string {
  const items = report.students
    .filter((s) => s.tampered.length)
    .map((s) => `<li><strong>${escapeHtml(s.id)}</strong> (${escapeHtml(s.name)}): ${s.tampered.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}</li>`);
  return listOrNone('tampering', items, 'No submission changed an instructor-owned file.');
}

function incidents(report: GradeReport): string {
  const items = report.students.flatMap((s) => {
    const lines = [...s.reasons.map((r) => (s.verdict === 'graded' ? r : `${s.verdict}: ${r}`)), ...s.labs.flatMap((lab) => lab.incidents.map((i) => `lab ${lab.id}: ${i}`))];
    return lines.map((line) => `<li><strong>${escapeHtml(s.id)}</strong>: ${escapeHtml(line)}</li>`);
  });
  return listOrNone('incidents', items, 'No refusals, errors or containment incidents.');
}

function similarity(findings: SimilarityFinding[]): string {
  if (!findings.length) return '<p class="muted" id="similarity">No submission close to a solution or to another.</p>';
  const sorted = [...findings].sort((a, b) => b.percent - a.percent);
  return (
    `<table id="similarity"><thead><tr><th>kind</th><th>who</th><th class="num">share</th><th>detail</th></tr></thead><tbody>` +
    sorted
      .map((f) => {
        const who = f.kind === 'solution' ? `${f.students.join(', ')} ≈ solution ${f.solution ?? ''}` : f.students.join(' ≈ ');
        return (
          `<tr data-kind="${f.kind}"><td>${f.kind === 'solution' ? 'matches a solution' : 'peers'}</td><td>${escapeHtml(who)}</td>` +
          `<td class="num">${formatNumber(f.percent)} %${f.identical ? ' <span class="badge bad">identical</span>' : ''}</td><td>${escapeHtml(f.detail)}</td></tr>`
        );
      })
      .join('') +
    `</tbody></table>`
  );
}

export function renderOverviewHtml(report: GradeReport): string {
  const options = report.options;
  const meta = [
    `labs ${options.labs.join(', ')}`,
    options.deadline ? `deadline ${options.deadline}` : 'no deadline',
    options.latePenalty === undefined ? 'late commits not graded' : `late penalty ${formatNumber(options.latePenalty * 100)} %`,
    `runtime ${options.runtime}`,
    `containment ${options.containment}`,
    `generated ${report.generatedAt}`,
  ];
  const body = [
    `<h1>Class overview</h1><p class="meta">${escapeHtml(meta.join(' · '))}</p>`,
    options.containment === 'none' ? '<div class="box">Student code ran without containment (--no-sandbox).</div>' : '',
    `<h2>Summary</h2>${summary(report)}`,
    `<h2>Points per lab</h2>${distributions(report)}`,
    `<h2>What to reteach</h2>${reteach(report)}`,
    `<h2>Students</h2>${studentsTable(report)}`,
    `<h2>Instructor-owned files changed</h2>${tampering(report)}`,
    `<h2>Refusals, errors and containment incidents</h2>${incidents(report)}`,
    `<h2>Similarity</h2>${similarity(report.similarity)}`,
  ];
  return htmlPage('Class overview', body.join('\n'));
}
