/**
 * What `tall grade` produces, as `grade.json` and `tall grade --json` (schema "tall-grade/1"). The gradebook CSV, the
 * students' feedback pages and the class overview are all rendered from this one object.
 */
import type { CheckStatus } from '../labs/runner.js';
import type { RuntimeKind } from '../labs/check-api.js';

export const GRADE_SCHEMA = 'tall-grade/1';

export interface GradeReport {
  schema: typeof GRADE_SCHEMA;
  generatedAt: string;
  options: {
    labs: string[];
    /** ISO time; for git submissions, the last commit at or before it is graded */
    deadline?: string;
    /** fraction of the points taken off a late submission (0.2 = 20 %); absent: late commits are not graded */
    latePenalty?: number;
    runtime: RuntimeKind;
    /** how student code was contained: "bubblewrap" (process runtime), "docker" (hardened containers), "none" (--no-sandbox) */
    containment: 'bubblewrap' | 'docker' | 'none';
  };
  /** the labs graded, with every check (hidden ones included) and what it is worth */
  labs: LabOutline[];
  students: StudentGrade[];
  /** submissions equal or close to a published solution, or to each other */
  similarity: SimilarityFinding[];
}

export interface LabOutline {
  id: string;
  slug: string;
  title: string;
  possible: number;
  checks: { name: string; title: string; points: number; hidden: boolean }[];
}

export type Verdict =
  /** the checks ran (whatever they found) */
  | 'graded'
  /** nothing to grade: no repository, no commit by the deadline, no services/ folder */
  | 'not-submitted'
  /** the submission was refused before anything ran (too big, symlinks out of the tree, a compose file grading forbids) */
  | 'refused'
  /** the grader could not finish it (time budget, an internal error): the reason says which */
  | 'error';

export interface StudentGrade {
  id: string;
  name: string;
  /** the roster's repository: a path or a git URL */
  source: string;
  /** the commit graded (git sources), or a content hash of services/ (folders) */
  commit?: string;
  committedAt?: string;
  late: boolean;
  /** commits after the deadline that were not graded */
  ignoredLateCommits?: number;
  verdict: Verdict;
  /** why, for anything but a clean 'graded': refusals, containment incidents (OOMKilled, time budget, …) */
  reasons: string[];
  /** instructor-owned files the submission changed (labs/*\/checks.ts, labs/manifest.yaml, platform/, .tall/progress.json): they were not used */
  tampered: string[];
  labs: LabGrade[];
  points: {
    earned: number;
    possible: number;
    /** points taken off for lateness */
    penalty: number;
    total: number;
  };
  durationMs: number;
  /** where its feedback pages are, relative to the output folder */
  feedback?: { markdown: string; html: string };
}

export interface LabGrade {
  id: string;
  slug: string;
  title: string;
  points: { earned: number; possible: number };
  checks: CheckGrade[];
  /** what the platform saw of the student's services during this lab: crashes, limit breaches, listeners on all interfaces */
  incidents: string[];
}

export interface CheckGrade {
  name: string;
  title: string;
  /** from the instructor's --extra-checks folder */
  hidden: boolean;
  status: CheckStatus;
  points: number;
  maxPoints: number;
  /** the learner-facing message; for a hidden check without --show-hidden-messages, "hidden check N failed" */
  message?: string;
  /** the check's hints (none for hidden checks) */
  hints: string[];
}

export interface SimilarityFinding {
  kind: 'solution' | 'peer';
  /** student ids (one for 'solution', two for 'peer') */
  students: string[];
  /** for 'solution': which lab's solution it matches */
  solution?: string;
  /** share of the submission's service code in duplicated blocks, 0–100 */
  percent: number;
  /** identical file for file (not only similar) */
  identical: boolean;
  detail: string;
}
