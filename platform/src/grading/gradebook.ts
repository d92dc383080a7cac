/**
 * The gradebook CSV: one row per student, the columns a spreadsheet or an LMS import expects (an id to match on, a
 * number per lab, the total). Cells a spreadsheet would run as a formula (a name starting with "=") are quoted with
 * a leading apostrophe, as OWASP advises against CSV injection.
 */
import { stringify } from 'csv-stringify/sync';
import type { GradeReport } from './grade-report.js';

export function gradebookCsv(report: GradeReport): string {
  const header = ['student_id', 'name', ...report.labs.map((lab) => `lab_${lab.id}`), 'earned', 'late_penalty', 'total', 'possible', 'late', 'verdict', 'commit', 'committed_at', 'notes'];
  const rows = report.students.map((student) => {
    const byLab = new Map(student.labs.map((lab) => [lab.id, lab.points.earned]));
    return [
      student.id,
      student.name,
      ...report.labs.map((lab) => byLab.get(lab.id) ?? 0),
      student.points.earned,
      student.points.penalty,
      student.points.total,
      student.points.possible,
      student.late ? 'yes' : 'no',
      student.verdict,
      student.commit ?? '',
      student.committedAt ?? '',
      [...student.reasons.slice(0, 3), ...(student.tampered.length > 0 ? [`changed instructor files: ${student.tampered.length}`] : [])].join('; '),
    ].map(safeCell);
  });
  return stringify([header, ...rows]);
}

function safeCell(value: string | number): string | number {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
