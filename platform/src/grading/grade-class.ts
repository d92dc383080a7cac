/**
 * `tall grade`: a whole class, graded with the instructor's kit. Plans the run (labs, hidden checks, containment,
 * what a grade depends on), grades N submissions side by side — each in a check slot of its own — stores each grade
 * as it comes, and assembles the report.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labPaths, KIT_ROOT } from '../labs/lab-paths.js';
import { findLab, loadManifest, describeLabs, type Lab, type Manifest } from '../labs/manifest.js';
import { loadChecks } from '../labs/runner.js';
import { labsWithChecks } from '../labs/check-all.js';
import type { RuntimeKind } from '../labs/check-api.js';
import { UserError } from '../control-plane/user-error.js';
import { GRADING_CEILING, type Containment } from '../containment/containment.js';
import { sandboxProblem } from '../containment/sandbox.js';
import { GRADE_SCHEMA, type GradeReport, type LabOutline, type StudentGrade } from './grade-report.js';
import { blankGrade, gradeSubmission, type GradingPlan, type StudentProgress } from './grade-submission.js';
import { readRoster, type RosterEntry } from './roster.js';
import { kitFingerprints } from './tampering.js';
import { DEFAULT_EXTRACT_LIMITS } from './extract-services.js';
import { planFingerprint, ResultStore } from './result-store.js';
import { inPool } from '../util/pool.js';

export interface GradeOptions {
  /** the instructor's kit whose labs, checks and solutions grade (default: the kit this code belongs to) */
  kitRoot?: string;
  /** a roster CSV or a folder of clones */
  roster: string;
  /** "00-03", "01,02", or every lab that has checks */
  labs?: string;
  deadline?: Date;
  latePenalty?: number;
  runtime: RuntimeKind;
  jobs: number;
  outDir: string;
  extraChecks?: string;
  showHiddenMessages: boolean;
  budgetMs: number;
  force: boolean;
  /** false: --no-sandbox (student processes on the host run unwrapped; containers are still hardened) */
  sandbox: boolean;
}

export type GradeEvent =
  | { type: 'planned'; students: number; labs: string[]; containment: GradeReport['options']['containment'] }
  | { type: 'student-started'; id: string }
  | { type: 'student-progress'; progress: StudentProgress }
  | { type: 'student-finished'; grade: StudentGrade; reused: boolean };

export interface PreparedGrading {
  roster: RosterEntry[];
  plan: GradingPlan;
  outlines: LabOutline[];
  containment: GradeReport['options']['containment'];
}

/** Everything settled before a submission runs; a mistake of the instructor's is a UserError here, not 200 failures. */
export async function prepareGrading(options: GradeOptions): Promise<PreparedGrading> {
  const outDir = resolve(options.outDir);
  const kitRoot = resolve(options.kitRoot ?? KIT_ROOT);
  const paths = labPaths(join(outDir, 'run'), kitRoot);
  const manifest = loadManifest(paths);
  const labs = selectLabs(manifest, options.labs);
  const hidden = hiddenLabs(labs, options.extraChecks);
  const roster = readRoster(options.roster);
  if (options.sandbox) {
    const problem = sandboxProblem();
    if (problem) throw new UserError(`can't grade contained: ${problem}`, 'install it, or grade without the sandbox with --no-sandbox (only for code you trust: student processes then run on this machine as you)');
  }
  // Student code must not see the answers, the hidden checks, the other submissions or the grader's records.
  const containment: Containment = {
    sandbox: options.sandbox ? 'bubblewrap' : 'none',
    hidden: [outDir, join(kitRoot, 'solutions'), join(kitRoot, '.tall'), ...(options.extraChecks ? [resolve(options.extraChecks)] : [])],
    writable: [],
    links: [],
    ...GRADING_CEILING,
  };
  const outlines = await Promise.all(labs.map(async (lab) => outline(lab, hidden.get(lab.id), options.showHiddenMessages)));
  const extractLimits = DEFAULT_EXTRACT_LIMITS;
  const settings = { labs: labs.map((lab) => lab.id), runtime: options.runtime, deadline: options.deadline?.toISOString(), latePenalty: options.latePenalty, showHidden: options.showHiddenMessages, budgetMs: options.budgetMs, sandbox: options.sandbox, extractLimits };
  const fingerprint = planFingerprint([...labs.map((lab) => lab.dir), ...[...hidden.values()].map((lab) => lab.dir)], [manifest.file], settings);
  const plan: GradingPlan = {
    paths, manifest, labs, hidden,
    showHiddenMessages: options.showHiddenMessages,
    runtime: options.runtime,
    containment,
    policy: { deadline: options.deadline, latePenalty: options.latePenalty },
    budgetMs: options.budgetMs,
    reposDir: join(outDir, 'repos'),
    submissionsDir: join(outDir, 'submissions'),
    kitHashes: kitFingerprints(kitRoot),
    extractLimits,
    possible: outlines.reduce((sum, lab) => sum + lab.possible, 0),
    store: new ResultStore(join(outDir, 'results'), fingerprint),
    // --force grades everyone again, and still keeps what it grades for the next run
    reuse: !options.force,
  };
  return { roster, plan, outlines, containment: options.runtime === 'docker' ? 'docker' : options.sandbox ? 'bubblewrap' : 'none' };
}

/** Grades every student, `jobs` at a time; Ctrl-C (interrupt) stops the ones running and keeps what finished. */
export async function gradeClass(options: GradeOptions, prepared: PreparedGrading, onEvent: (event: GradeEvent) => void = () => undefined, interrupt?: AbortSignal): Promise<GradeReport> {
  const { roster, plan, outlines } = prepared;
  onEvent({ type: 'planned', students: roster.length, labs: plan.labs.map((lab) => lab.id), containment: prepared.containment });
  const grades = await inPool(roster, options.jobs, async (entry) => {
    onEvent({ type: 'student-started', id: entry.id });
    const { grade, reused } = await gradeSubmission(entry, plan, (progress) => onEvent({ type: 'student-progress', progress }), interrupt).catch((error: Error) => ({ grade: crashed(entry, error, plan.possible), reused: false }));
    // Ctrl-C: what it stopped is not a grade (the next run does it again).
    if (interrupt?.aborted) return undefined;
    if (!reused && grade.verdict !== 'not-submitted') plan.store.put(grade);
    onEvent({ type: 'student-finished', grade, reused });
    return grade;
  }, interrupt);
  return {
    schema: GRADE_SCHEMA,
    generatedAt: new Date().toISOString(),
    options: { labs: plan.labs.map((lab) => lab.id), deadline: options.deadline?.toISOString(), latePenalty: options.latePenalty, runtime: options.runtime, containment: prepared.containment },
    labs: outlines,
    students: grades.filter((grade): grade is StudentGrade => grade !== undefined),
    similarity: [],
  };
}

/** A bug of the grader's, not the student's: reported as such on their row, and the class goes on. */
function crashed(entry: RosterEntry, error: Error, possible: number): StudentGrade {
  return { ...blankGrade(entry, possible), verdict: 'error', reasons: [`the grader failed on this submission: ${error.message}`] };
}

function selectLabs(manifest: Manifest, spec: string | undefined): Lab[] {
  if (!spec) return labsWithChecks(manifest);
  const picked = new Set<Lab>();
  for (const part of spec.split(',').map((text) => text.trim()).filter(Boolean)) {
    const [from, to] = part.split('-').length === 2 && /^\d+-\d+$/.test(part) ? part.split('-') : [part, part];
    const first = findLab(manifest, from!);
    const last = findLab(manifest, to!);
    if (!first || !last) throw new UserError(`--labs ${spec}: no lab "${!first ? from : to}"`, `the labs:\n${describeLabs(manifest)}`);
    for (const lab of manifest.labs.slice(first.index, last.index + 1)) if (lab.available) picked.add(lab);
  }
  if (picked.size === 0) throw new UserError(`--labs ${spec} names no lab with checks`, `the labs:\n${describeLabs(manifest)}`);
  return [...picked].sort((a, b) => a.index - b.index);
}

/** --extra-checks DIR: DIR/<id>-<slug>/checks.ts or DIR/<id>/checks.ts, written with the same check API. */
function hiddenLabs(labs: Lab[], dir: string | undefined): Map<string, Lab> {
  const found = new Map<string, Lab>();
  if (!dir) return found;
  if (!existsSync(dir)) throw new UserError(`--extra-checks ${dir}: no such folder`, 'give the folder that holds <lab id>-<slug>/checks.ts (or <lab id>/checks.ts) for the hidden checks');
  for (const lab of labs) {
    const folder = [join(dir, `${lab.id}-${lab.slug}`), join(dir, lab.id)].find((candidate) => existsSync(join(candidate, 'checks.ts')));
    if (folder) found.set(lab.id, { ...lab, dir: resolve(folder), checksFile: resolve(folder, 'checks.ts') });
  }
  if (found.size === 0) throw new UserError(`--extra-checks ${dir} has checks for none of the labs graded`, `put them at ${dir}/<lab id>-<slug>/checks.ts, e.g. ${dir}/${labs[0]!.id}-${labs[0]!.slug}/checks.ts`);
  return found;
}

async function outline(lab: Lab, hidden: Lab | undefined, showHidden: boolean): Promise<LabOutline> {
  const publicChecks = (await loadChecks(lab)).checks.map((check) => ({ name: check.name, title: check.title, points: check.points, hidden: false }));
  const hiddenChecks = hidden ? (await loadChecks(hidden)).checks.map((check, n) => ({ name: showHidden ? check.name : `hidden-${n + 1}`, title: showHidden ? check.title : `hidden check ${n + 1}`, points: check.points, hidden: true })) : [];
  const checks = [...publicChecks, ...hiddenChecks];
  return { id: lab.id, slug: lab.slug, title: lab.title, possible: checks.reduce((sum, check) => sum + check.points, 0), checks };
}
