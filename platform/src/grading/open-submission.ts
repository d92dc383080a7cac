/**
 * From a roster entry to the snapshot to grade. A git source is cloned (or fetched again) into the grader's own bare
 * copy — the student's repository is never touched and never changes under the grader — and the commit is chosen as
 * GitHub Classroom does: the last one at or before the deadline; with a late policy, the newest one, marked late when
 * it came after. Commit dates are the committer's (what git records; a student can set them, so a strict instructor
 * clones at the deadline). A folder that is not a repository is graded as it is.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { folderSnapshot, gitSnapshot, hashOf, type Snapshot } from './snapshot.js';

/** Bigger files are refused anyway (extract-services.ts); their size stands for them. */
const MAX_HASHED_BYTES = 8 * 1024 ** 2;
import { git, GitError } from './git.js';
import { isGitUrl, type RosterEntry } from './roster.js';
import { createHash } from 'node:crypto';

export interface DeadlinePolicy {
  deadline?: Date;
  /** set: late commits are graded with this fraction off; unset: they are not graded */
  latePenalty?: number;
}

export type OpenedSubmission =
  | { ok: true; snapshot: Snapshot; commit: string; committedAt?: string; late: boolean; ignoredLateCommits: number }
  | { ok: false; reason: string; ignoredLateCommits?: number };

export async function openSubmission(entry: RosterEntry, reposDir: string, policy: DeadlinePolicy): Promise<OpenedSubmission> {
  const local = !isGitUrl(entry.repository);
  if (local && !existsSync(entry.repository)) return { ok: false, reason: `no folder at ${entry.repository}` };
  if (local && !existsSync(join(entry.repository, '.git'))) {
    const snapshot = folderSnapshot(entry.repository);
    return { ok: true, snapshot, commit: `folder:${await contentHash(snapshot)}`, late: false, ignoredLateCommits: 0 };
  }
  const bare = join(reposDir, `${entry.id}.git`);
  try {
    if (!existsSync(bare)) {
      mkdirSync(reposDir, { recursive: true });
      await git(['clone', '--bare', '--quiet', '--no-hardlinks', entry.repository, bare]);
    } else {
      await git(['fetch', '--quiet', '--prune', '--force', entry.repository, '+HEAD:refs/heads/graded'], { cwd: bare });
      await git(['symbolic-ref', 'HEAD', 'refs/heads/graded'], { cwd: bare });
    }
  } catch (error) {
    return { ok: false, reason: `could not fetch ${entry.repository}: ${(error as GitError).message}` };
  }
  const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: bare }).catch(() => '');
  if (!head.trim()) return { ok: false, reason: 'the repository has no commits' };
  let commit = head.trim();
  let ignoredLateCommits = 0;
  let late = false;
  if (policy.deadline) {
    const at = String(Math.floor(policy.deadline.getTime() / 1000));
    const after = Number((await git(['rev-list', '--count', `--after=${at}`, 'HEAD'], { cwd: bare })).trim());
    if (policy.latePenalty === undefined) {
      ignoredLateCommits = after;
      commit = (await git(['rev-list', '-1', `--before=${at}`, 'HEAD'], { cwd: bare })).trim();
      if (!commit) return { ok: false, reason: `no commit at or before the deadline (${policy.deadline.toISOString()}); ${after} later commit(s) not graded`, ignoredLateCommits: after };
    } else {
      late = after > 0;
    }
  }
  const committedAt = new Date(Number((await git(['show', '-s', '--format=%ct', commit], { cwd: bare })).trim()) * 1000).toISOString();
  return { ok: true, snapshot: await gitSnapshot(bare, commit), commit, committedAt, late, ignoredLateCommits };
}

/** A folder's identity for resuming: the content of what is graded (services/) and the list of everything else. */
async function contentHash(snapshot: Snapshot): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of snapshot.entries) {
    const graded = entry.path.startsWith('services/') && entry.kind !== 'other' && entry.size <= MAX_HASHED_BYTES;
    hash.update(`${entry.path}\0${entry.kind}\0${entry.size}\0${graded ? await hashOf(snapshot, entry) : ''}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}
