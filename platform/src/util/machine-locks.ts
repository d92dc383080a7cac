import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

const LOCK_OPTIONS = { realpath: false, stale: 30_000, update: 5_000 };

/**
 * Runs `work` holding machine-wide locks, one per key, across processes. Keys are taken one by one in sorted order, so
 * two holders of overlapping keys never wait for each other in a circle. The locks live in the temporary folder (never
 * in the learner's services/); one left by a killed process goes stale and is taken over. `onWait` is called once when
 * a key is held by someone else.
 */
export async function withMachineLocks<T>(keys: string[], work: () => Promise<T>, onWait: () => void): Promise<T> {
  const dir = join(tmpdir(), 'tall-locks');
  mkdirSync(dir, { recursive: true });
  const releases: (() => Promise<void>)[] = [];
  let waited = false;
  try {
    for (const key of [...new Set(keys)].sort()) {
      const target = join(dir, createHash('sha256').update(key).digest('hex').slice(0, 16));
      try {
        releases.push(await lockfile.lock(target, { ...LOCK_OPTIONS, retries: 0 }));
      } catch {
        if (!waited) onWait();
        waited = true;
        releases.push(await lockfile.lock(target, { ...LOCK_OPTIONS, retries: { retries: 2400, minTimeout: 250, maxTimeout: 1000 } }));
      }
    }
    return await work();
  } finally {
    await Promise.all(releases.map((release) => release().catch(() => undefined)));
  }
}
