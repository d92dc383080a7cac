/**
 * One submission as the grader sees it: the files of one commit (a git repository) or of a folder, listed without
 * reading them, each with git's blob hash — so a student's copy of an instructor file is compared by hash alone.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { git, gitBlob } from './git.js';

export interface SnapshotEntry {
  /** forward slashes, from the submission's root */
  path: string;
  kind: 'file' | 'symlink' | 'other';
  size: number;
  /** git blob hash of the content (of the target, for a symlink) */
  hash: string;
  /** for a symlink: where it points */
  target?: string;
}

export interface Snapshot {
  /** every entry, noise folders (node_modules, .git) left out */
  entries: SnapshotEntry[];
  /** the bytes of one regular file or symlink target */
  read(entry: SnapshotEntry): Promise<Buffer>;
}

/** sha1("blob <size>\0<content>"): what `git hash-object` gives, so folder and git submissions compare alike. */
export function blobHash(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

const SKIPPED_DIRS = new Set(['node_modules', '.git']);

export function folderSnapshot(root: string): Snapshot {
  const entries: SnapshotEntry[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const relativePath = relative(root, path).split(sep).join('/');
      if (stat.isDirectory()) {
        // .tall/ holds the student's platform state (big, and not theirs to hand in) except the progress they claim.
        if (relativePath === '.tall') entries.push(...progressFile(root));
        else if (!SKIPPED_DIRS.has(name)) walk(path);
      } else if (stat.isSymbolicLink()) {
        const target = readlinkSync(path);
        entries.push({ path: relativePath, kind: 'symlink', size: target.length, hash: blobHash(Buffer.from(target)), target });
      } else if (stat.isFile()) {
        entries.push({ path: relativePath, kind: 'file', size: stat.size, hash: '' });
      } else {
        entries.push({ path: relativePath, kind: 'other', size: 0, hash: '' });
      }
    }
  };
  walk(root);
  // Hashing reads the file: only the ones worth comparing (instructor files) are hashed on demand, see hashOf().
  return {
    entries: entries.sort((a, b) => a.path.localeCompare(b.path)),
    read: async (entry) => (entry.kind === 'symlink' ? Buffer.from(entry.target!) : readFileSync(join(root, entry.path))),
  };
}

function progressFile(root: string): SnapshotEntry[] {
  try {
    const stat = lstatSync(join(root, '.tall', 'progress.json'));
    return stat.isFile() ? [{ path: '.tall/progress.json', kind: 'file', size: stat.size, hash: '' }] : [];
  } catch {
    return [];
  }
}

/** The hash of an entry, reading it if the listing had none (folder files). */
export async function hashOf(snapshot: Snapshot, entry: SnapshotEntry): Promise<string> {
  if (!entry.hash) entry.hash = blobHash(await snapshot.read(entry));
  return entry.hash;
}

export async function gitSnapshot(repo: string, commit: string): Promise<Snapshot> {
  const listing = await git(['ls-tree', '-r', '-l', '-z', '--full-tree', commit], { cwd: repo });
  const entries: SnapshotEntry[] = [];
  for (const line of listing.split('\0')) {
    // <mode> SP <type> SP <object> SP+ <size> TAB <path>
    const match = /^(\d+) (\w+) ([0-9a-f]+)\s+(-|\d+)\t(.*)$/s.exec(line);
    if (!match) continue;
    const [, mode, , hash, size, path] = match;
    if (path!.split('/').some((part) => SKIPPED_DIRS.has(part))) continue;
    const kind = mode === '120000' ? 'symlink' : mode!.startsWith('100') ? 'file' : 'other';
    entries.push({ path: path!, kind, size: size === '-' ? 0 : Number(size), hash: hash! });
  }
  for (const entry of entries) if (entry.kind === 'symlink') entry.target = (await gitBlob(repo, entry.hash)).toString('utf8');
  return { entries, read: (entry) => (entry.kind === 'symlink' ? Promise.resolve(Buffer.from(entry.target!)) : gitBlob(repo, entry.hash)) };
}
