import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

const LOCK_OPTIONS = { realpath: false, stale: 30_000, update: 5_000 };

/**
 * One build at a time per build folder, across processes: two environments started from the same services/ (default
 * and staging, or a lab's check environments) each bundle a service into the same dist/ file while the other's image
 * build copies it — a torn file then crashes the container at start. Folders are locked one by one in sorted order, so
 * two builds over overlapping folders never wait for each other in a circle. The locks live in the temporary folder
 * (never in the learner's services/); one left by a killed process goes stale and is taken over.
 */
export async function withBuildLock<T>(folders: string[], work: () => Promise<T>, onWait: () => void): Promise<T> {
  const dir = join(tmpdir(), 'tall-build-locks');
  mkdirSync(dir, { recursive: true });
  const releases: (() => Promise<void>)[] = [];
  let waited = false;
  try {
    for (const folder of [...new Set(folders)].sort()) {
      const target = join(dir, createHash('sha256').update(folder).digest('hex').slice(0, 16));
      try {
        releases.push(await lockfile.lock(target, { ...LOCK_OPTIONS, retries: 0 }));
      } catch {
        if (!waited) onWait();
        waited = true;
        releases.push(await lockfile.lock(target, { ...LOCK_OPTIONS, retries: { retries: 600, minTimeout: 250, maxTimeout: 1000 } }));
      }
    }
    return await work();
  } finally {
    await Promise.all(releases.map((release) => release().catch(() => undefined)));
  }
}
