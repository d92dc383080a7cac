/**
 * Grades kept per student and commit, so an interrupted run resumes where it stopped and a re-run grades only what
 * changed: a stored grade is reused when the same commit was graded with the same plan (the same checks, labs, policy
 * and runtime — its fingerprint). A grade the run did not finish (Ctrl-C) is never stored.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles } from '../labs/tree.js';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';
import type { StudentGrade } from './grade-report.js';

interface Stored {
  fingerprint: string;
  commit: string;
  grade: StudentGrade;
}

export class ResultStore {
  constructor(private readonly dir: string, readonly fingerprint: string) {
    ensurePrivateDir(dir);
  }

  get(student: string, commit: string): StudentGrade | undefined {
    const file = this.file(student);
    if (!existsSync(file)) return undefined;
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
      return stored.fingerprint === this.fingerprint && stored.commit === commit ? stored.grade : undefined;
    } catch {
      return undefined;
    }
  }

  put(grade: StudentGrade): void {
    if (!grade.commit) return;
    const file = this.file(grade.id);
    const stored: Stored = { fingerprint: this.fingerprint, commit: grade.commit, grade };
    writePrivateFile(`${file}.tmp`, JSON.stringify(stored, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  private file(student: string): string {
    return join(this.dir, `${student}.json`);
  }
}

/** A hash of everything a grade depends on besides the submission: the check files (and their helpers) and the settings. */
export function planFingerprint(folders: string[], files: string[], settings: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(settings));
  for (const folder of folders) for (const file of listFiles(folder)) hash.update(`${file}\0`).update(readFileSync(join(folder, file)));
  for (const file of files) hash.update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}
