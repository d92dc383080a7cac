/**
 * Grades one student: opens their submission, takes services/ out of it, and runs the instructor's checks for each
 * lab against it — public ones, then hidden ones — in one contained check session, within a time budget. Whatever the
 * submission does, this returns a StudentGrade with the reason; it never throws for a student's doing.
 */
import { join } from 'node:path';
import { CheckSession, loadChecks, type LabResult } from '../labs/runner.js';
import type { Lab, Manifest } from '../labs/manifest.js';
import type { LabPaths } from '../labs/lab-paths.js';
import type { RuntimeKind } from '../labs/check-api.js';
import type { Containment } from '../containment/containment.js';
import type { CheckGrade, LabGrade, StudentGrade } from './grade-report.js';
import { openSubmission, type DeadlinePolicy } from './open-submission.js';
import { extractServices, type ExtractLimits } from './extract-services.js';
import { tamperedFiles } from './tampering.js';
import { incidentsSince } from './incidents.js';
import type { RosterEntry } from './roster.js';
import type { ResultStore } from './result-store.js';

export interface GradingPlan {
  /** the instructor's kit: labs/, manifest, checks; `checksDir` is where the grading slots live */
  paths: LabPaths;
  manifest: Manifest;
  labs: Lab[];
  /** lab id → the instructor's hidden checks for it (--extra-checks) */
  hidden: Map<string, Lab>;
  showHiddenMessages: boolean;
  runtime: RuntimeKind;
  containment?: Containment;
  policy: DeadlinePolicy;
  budgetMs: number;
  /** where the grader keeps its clones and the extracted submissions */
  reposDir: string;
  submissionsDir: string;
  kitHashes: Map<string, string>;
  extractLimits: ExtractLimits;
  /** the most points a student can get (every lab's checks, hidden ones included) */
  possible: number;
  /** where each grade is kept, with its commit and the plan's fingerprint */
  store: ResultStore;
  /** reuse a stored grade of the same commit (false: --force) */
  reuse: boolean;
}

export type StudentProgress = { student: string; lab: string; check?: string };

/** A student's grade before anything is known: nothing earned of `possible`, graded unless something says otherwise. */
export function blankGrade(entry: RosterEntry, possible: number): StudentGrade {
  return {
    id: entry.id, name: entry.name, source: entry.repository, late: false, verdict: 'graded', reasons: [], tampered: [], labs: [],
    points: { earned: 0, possible, penalty: 0, total: 0 }, durationMs: 0,
  };
}

export interface Graded {
  grade: StudentGrade;
  /** the stored grade of this commit was reused: nothing ran */
  reused: boolean;
}

export async function gradeSubmission(entry: RosterEntry, plan: GradingPlan, onProgress: (progress: StudentProgress) => void = () => undefined, interrupt?: AbortSignal): Promise<Graded> {
  const started = Date.now();
  const grade = blankGrade(entry, plan.possible);
  const finish = () => {
    grade.points.earned = grade.labs.reduce((sum, lab) => sum + lab.points.earned, 0);
    grade.points.penalty = grade.late && plan.policy.latePenalty ? round(grade.points.earned * plan.policy.latePenalty) : 0;
    grade.points.total = round(grade.points.earned - grade.points.penalty);
    grade.durationMs = Date.now() - started;
    return { grade, reused: false };
  };
  const opened = await openSubmission(entry, plan.reposDir, plan.policy);
  if (!opened.ok) {
    Object.assign(grade, { verdict: 'not-submitted', ignoredLateCommits: opened.ignoredLateCommits });
    grade.reasons.push(opened.reason);
    return finish();
  }
  const stored = plan.reuse ? plan.store.get(entry.id, opened.commit) : undefined;
  if (stored) return { grade: stored, reused: true };
  Object.assign(grade, { commit: opened.commit, committedAt: opened.committedAt, late: opened.late, ignoredLateCommits: opened.ignoredLateCommits || undefined });
  grade.tampered = await tamperedFiles(opened.snapshot, plan.kitHashes);
  const services = join(plan.submissionsDir, entry.id, 'services');
  const extracted = await extractServices(opened.snapshot, services, plan.extractLimits);
  if (!extracted.ok) {
    grade.verdict = extracted.empty ? 'not-submitted' : 'refused';
    grade.reasons.push(extracted.reason);
    return finish();
  }

  const session = new CheckSession({ paths: plan.paths, runtime: plan.runtime, source: services, manifest: plan.manifest, containment: plan.containment });
  let overBudget = false;
  const budget = setTimeout(() => {
    overBudget = true;
    session.interrupt();
  }, plan.budgetMs);
  const onInterrupt = () => session.interrupt();
  interrupt?.addEventListener('abort', onInterrupt, { once: true });
  try {
    for (const lab of plan.labs) {
      onProgress({ student: entry.id, lab: lab.id });
      const publicRun = await session.runLab(lab);
      const hiddenLab = plan.hidden.get(lab.id);
      const hiddenRun = hiddenLab ? await session.runLab(hiddenLab) : undefined;
      grade.labs.push(await labGrade(lab, publicRun, hiddenRun, plan.showHiddenMessages));
      if (session.interrupted) break;
    }
  } finally {
    clearTimeout(budget);
    interrupt?.removeEventListener('abort', onInterrupt);
    await session.close();
  }
  if (overBudget) {
    grade.verdict = 'error';
    grade.reasons.push(`the time budget (${Math.round(plan.budgetMs / 1000)} s) ran out during lab ${grade.labs.at(-1)?.id ?? plan.labs[0]?.id}: the checks not run got no points`);
  }
  for (const lab of grade.labs) grade.reasons.push(...lab.incidents.map((incident) => `lab ${lab.id}: ${incident}`));
  return finish();
}

async function labGrade(lab: Lab, publicRun: LabResult, hiddenRun: LabResult | undefined, showHidden: boolean): Promise<LabGrade> {
  const hintsByName = new Map((await loadChecks(lab)).checks.map((check) => [check.name, check.hints ?? []]));
  const checks: CheckGrade[] = publicRun.checks.map((check) => ({
    name: check.name, title: check.title, hidden: false, status: check.status, points: check.points, maxPoints: check.maxPoints, message: check.message, hints: hintsByName.get(check.name) ?? [],
  }));
  (hiddenRun?.checks ?? []).forEach((check, n) => {
    const label = `hidden check ${n + 1}`;
    const message = showHidden ? check.message : check.status === 'passed' ? undefined : `${label} ${check.status === 'failed' ? 'failed' : 'was not run'}`;
    checks.push({ name: showHidden ? check.name : `hidden-${n + 1}`, title: showHidden ? check.title : label, hidden: true, status: check.status, points: check.points, maxPoints: check.maxPoints, message, hints: [] });
  });
  const expectedToFail = publicRun.environments.flatMap((env) => (env.expectStartFailure && env.platformName ? [env.platformName] : []));
  const incidents = incidentsSince(join(publicRun.workspace, 'state'), publicRun.startedAt, expectedToFail);
  const failure = publicRun.platform.failure;
  if (!publicRun.platform.started && failure) {
    const said = telling(failure.logTail);
    incidents.unshift(`the shop did not start: ${failure.reason}${said.length > 0 ? ` — its output: ${said.join(' | ')}` : ''}`);
  }
  return {
    id: lab.id, slug: lab.slug, title: lab.title,
    points: { earned: checks.reduce((sum, check) => sum + check.points, 0), possible: checks.reduce((sum, check) => sum + check.maxPoints, 0) },
    checks,
    incidents: [...new Set(incidents)],
  };
}

/** From a crashed start's last lines: the error Node printed (the stack trace's first line), and the very last line. */
function telling(logTail: string[]): string[] {
  const lines = logTail.map((line) => line.trim()).filter(Boolean);
  const backwards = [...lines].reverse();
  const error = backwards.find((line) => /^\w*Error\b/.test(line)) ?? backwards.find((line) => /\bE[A-Z]{3,}\b/.test(line));
  return [...new Set([error, lines.at(-1)].filter((line): line is string => line !== undefined))].map((line) => line.slice(0, 200));
}

function round(points: number): number {
  return Math.round(points * 100) / 100;
}
