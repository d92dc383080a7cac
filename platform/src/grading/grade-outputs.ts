/**
 * Writes what a grading run produced into the output folder: grade.json (tall-grade/1), gradebook.csv, each
 * student's feedback as markdown and HTML, and the instructor's overview page — all from the one report.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, Manifest } from '../labs/manifest.js';
import { startingStateDir } from '../labs/manifest.js';
import type { GradeReport } from './grade-report.js';
import { gradebookCsv } from './gradebook.js';
import { renderFeedbackHtml, renderFeedbackMarkdown } from './pages/feedback-page.js';
import { renderOverviewHtml } from './pages/overview-page.js';
import { findSimilarity } from './similarity/find-similarity.js';

export interface GradeOutputs {
  json: string;
  gradebook: string;
  overview: string;
  feedbackDir: string;
}

/** Compares the graded submissions with the published solutions of the graded labs and with each other. */
export async function addSimilarity(report: GradeReport, manifest: Manifest, labs: Lab[], submissionsDir: string): Promise<void> {
  const submissions = report.students
    .filter((student) => student.verdict === 'graded' || student.verdict === 'error')
    .map((student) => ({ student: student.id, servicesDir: join(submissionsDir, student.id, 'services') }))
    .filter((submission) => existsSync(submission.servicesDir));
  if (submissions.length === 0 || labs.length === 0) return;
  report.similarity = await findSimilarity({
    submissions,
    solutions: labs.filter((lab) => existsSync(lab.solutionDir)).map((lab) => ({ lab: lab.id, servicesDir: lab.solutionDir })),
    baseline: startingStateDir(manifest, labs[0]!),
  });
}

export function writeGradeOutputs(report: GradeReport, outDir: string): GradeOutputs {
  const feedbackDir = join(outDir, 'feedback');
  mkdirSync(feedbackDir, { recursive: true });
  for (const student of report.students) {
    student.feedback = { markdown: `feedback/${student.id}.md`, html: `feedback/${student.id}.html` };
    writeFileSync(join(outDir, student.feedback.markdown), renderFeedbackMarkdown(report, student));
    writeFileSync(join(outDir, student.feedback.html), renderFeedbackHtml(report, student));
  }
  const outputs: GradeOutputs = { json: join(outDir, 'grade.json'), gradebook: join(outDir, 'gradebook.csv'), overview: join(outDir, 'overview.html'), feedbackDir };
  writeFileSync(outputs.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(outputs.gradebook, gradebookCsv(report));
  writeFileSync(outputs.overview, renderOverviewHtml(report));
  return outputs;
}
