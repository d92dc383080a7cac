/**
 * Only services/ leaves a submission, and only within limits: regular files, a bounded size and count, symlinks that
 * stay inside services/. Everything else of the student's repository — their labs/, checks, platform/, progress — is
 * never read into the grading run. A refusal says which file and which limit, and writes nothing.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { Snapshot, SnapshotEntry } from './snapshot.js';
import { describeBytes } from '../compose/resource-limits.js';
import { isNoise } from '../labs/tree.js';

export interface ExtractLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
  maxFiles: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = { maxFileBytes: 2 * 1024 ** 2, maxTotalBytes: 20 * 1024 ** 2, maxFiles: 2000 };

/** `empty`: nothing was handed in (no compose file), as opposed to something refused */
export type Extraction = { ok: true; files: number; bytes: number } | { ok: false; reason: string; empty?: boolean };

/** The services/ entries, without build output and installed packages (the grader installs nothing from a submission). */
export function servicesEntries(snapshot: Snapshot): SnapshotEntry[] {
  return snapshot.entries.filter((entry) => entry.path.startsWith('services/') && !entry.path.split('/').some((part, n, all) => isNoise(part, n < all.length - 1)));
}

export async function extractServices(snapshot: Snapshot, destination: string, limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS): Promise<Extraction> {
  const entries = servicesEntries(snapshot);
  if (!entries.some((entry) => entry.path === 'services/compose.yaml')) return { ok: false, reason: 'no services/compose.yaml in the submission', empty: true };
  if (entries.length > limits.maxFiles) return { ok: false, reason: `services/ has ${entries.length} files, over the limit of ${limits.maxFiles}` };
  let total = 0;
  for (const entry of entries) {
    if (entry.kind === 'other') return { ok: false, reason: `${entry.path} is not a regular file (a submodule, device or socket)` };
    if (entry.kind === 'symlink') {
      const resolved = posix.normalize(posix.join(posix.dirname(entry.path), entry.target!));
      if (posix.isAbsolute(entry.target!) || !resolved.startsWith('services/')) return { ok: false, reason: `${entry.path} is a symlink to ${entry.target}, outside services/` };
      continue;
    }
    if (entry.size > limits.maxFileBytes) return { ok: false, reason: `${entry.path} is ${describeBytes(entry.size)}, over the ${describeBytes(limits.maxFileBytes)} limit for one file` };
    total += entry.size;
  }
  if (total > limits.maxTotalBytes) return { ok: false, reason: `services/ holds ${describeBytes(total)}, over the ${describeBytes(limits.maxTotalBytes)} limit` };

  rmSync(destination, { recursive: true, force: true });
  for (const entry of entries) {
    const target = join(destination, entry.path.slice('services/'.length));
    mkdirSync(dirname(target), { recursive: true });
    if (entry.kind === 'symlink') symlinkSync(entry.target!, target);
    else writeFileSync(target, await snapshot.read(entry), { mode: 0o644 });
  }
  mkdirSync(destination, { recursive: true });
  return { ok: true, files: entries.length, bytes: total };
}
