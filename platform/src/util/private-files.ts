/**
 * What the platform keeps under .tall/ (request logs, events, the API token, check copies) is for its owner only:
 * folders 0700, files 0600. The mode given to mkdir/open is masked by the umask and ignored for what already exists
 * (a folder made by an older version), so every helper here also chmods what it creates or opens.
 */
import { chmodSync, fchmodSync, mkdirSync, openSync, writeFileSync, type WriteFileOptions } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/** Creates `dir` and any missing parents as 0700, and makes `dir` itself 0700 if it was already there. */
export function ensurePrivateDir(dir: string): string {
  const firstCreated = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  // Parents that were already there are not ours to change (one may be the user's home).
  for (let current = dir; ; current = dirname(current)) {
    chmodSync(current, PRIVATE_DIR);
    if (!firstCreated || current === firstCreated || dirname(current) === current) break;
  }
  return dir;
}

/** writeFileSync, readable and writable by the owner only. */
export function writePrivateFile(file: string, data: string | Uint8Array, options: { flag?: string } = {}): void {
  writeFileSync(file, data, { mode: PRIVATE_FILE, flag: options.flag } satisfies WriteFileOptions);
  chmodSync(file, PRIVATE_FILE);
}

/** openSync for a file the owner only may read: "a" to append, "w" to write. */
export function openPrivate(file: string, flags: string): number {
  const fd = openSync(file, flags, PRIVATE_FILE);
  fchmodSync(fd, PRIVATE_FILE);
  return fd;
}
