/**
 * The learner's progress in .tall/progress.json (git-ignored): which labs are done, started or solved, the current lab,
 * the last verdict per check and how many hints were shown. A file that cannot be read is kept aside as
 * progress.json.corrupt-<time> and started afresh, with a warning; nothing else is touched.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';
import { dirname } from 'node:path';
import type { Lab, Manifest } from './manifest.js';
import type { LabResult } from './runner.js';

export type LabStatus = 'done' | 'solved' | 'started' | 'not started';

export interface LabProgress {
  status: LabStatus;
  attempts: number;
  firstCheckedAt?: string;
  lastCheckedAt?: string;
  passedAt?: string;
  solvedAt?: string;
  /** the last run's verdict per check */
  last?: { at: string; runtime: string; ok: boolean; points: { earned: number; possible: number }; checks: Record<string, 'passed' | 'failed' | 'skipped'>; messages: Record<string, string> };
  /** per check: how many of its hints have been shown */
  hintsShown: Record<string, number>;
}

export interface Progress {
  version: 1;
  current?: string;
  labs: Record<string, LabProgress>;
}

export interface LoadedProgress {
  progress: Progress;
  /** set when the file was unreadable and has been recreated */
  warning?: string;
}

const empty = (): Progress => ({ version: 1, labs: {} });

export function loadProgress(file: string): LoadedProgress {
  if (!existsSync(file)) return { progress: empty() };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return recreate(file, `it is not valid JSON (${(error as Error).message})`);
  }
  const candidate = raw as Progress;
  if (!candidate || typeof candidate !== 'object' || candidate.version !== 1 || typeof candidate.labs !== 'object' || candidate.labs === null || Array.isArray(candidate.labs)) {
    return recreate(file, 'it does not look like a progress file (expected {"version": 1, "labs": {...}})');
  }
  for (const entry of Object.values(candidate.labs)) {
    entry.hintsShown ??= {};
    entry.attempts ??= 0;
    entry.status ??= 'started';
  }
  return { progress: candidate };
}

function recreate(file: string, why: string): LoadedProgress {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, aside);
  const progress = empty();
  saveProgress(file, progress);
  return { progress, warning: `${file} could not be read: ${why}. It was moved to ${aside} and progress starts afresh; your services/ and snapshots are untouched.` };
}

export function saveProgress(file: string, progress: Progress): void {
  ensurePrivateDir(dirname(file));
  const temporary = `${file}.${process.pid}.tmp`;
  writePrivateFile(temporary, `${JSON.stringify(progress, null, 2)}\n`);
  renameSync(temporary, file);
}

export function labProgress(progress: Progress, lab: Lab): LabProgress {
  return (progress.labs[lab.id] ??= { status: 'not started', attempts: 0, hintsShown: {} });
}

export function statusOf(progress: Progress, lab: Lab): LabStatus {
  return progress.labs[lab.id]?.status ?? 'not started';
}

/** The current lab: the one recorded, else the first available lab not done or solved. */
export function currentLab(progress: Progress, manifest: Manifest): Lab {
  const recorded = manifest.labs.find((lab) => lab.id === progress.current && lab.available);
  if (recorded) return recorded;
  const open = manifest.labs.find((lab) => lab.available && !['done', 'solved'].includes(statusOf(progress, lab)));
  return open ?? [...manifest.labs].reverse().find((lab) => lab.available) ?? manifest.labs[0]!;
}

/** Records a check run; a lab that passes becomes done and the next available lab becomes current. */
export function recordRun(progress: Progress, manifest: Manifest, lab: Lab, result: LabResult): void {
  if (result.interrupted) return;
  const entry = labProgress(progress, lab);
  const at = new Date().toISOString();
  entry.attempts += 1;
  entry.firstCheckedAt ??= at;
  entry.lastCheckedAt = at;
  entry.last = {
    at,
    runtime: result.runtime,
    ok: result.ok,
    points: result.points,
    checks: Object.fromEntries(result.checks.map((check) => [check.name, check.status])),
    messages: Object.fromEntries(result.checks.filter((check) => check.message && check.status !== 'passed').map((check) => [check.name, check.message!])),
  };
  if (result.ok) {
    entry.status = 'done';
    entry.passedAt ??= at;
    const next = manifest.labs.slice(lab.index + 1).find((candidate) => candidate.available);
    if (progress.current === undefined || progress.current === lab.id) progress.current = next?.id ?? lab.id;
  } else if (entry.status === 'not started') {
    entry.status = 'started';
  }
}
