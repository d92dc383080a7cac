/**
 * Which instructor-owned files a submission changed. Grading never uses them — the instructor's labs/, checks and
 * platform/ run every submission — but the instructor (and the student) should know an edit was tried.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { blobHash, hashOf, type Snapshot } from './snapshot.js';

/** Paths a student has no reason to change, as prefixes or exact paths. */
const PROTECTED = [/^labs\/manifest\.yaml$/, /^labs\/[^/]+\/checks\.ts$/, /^platform\//, /^\.tall\/progress\.json$/];
const SKIP = new Set(['node_modules', '.tall', 'dist']);
const SHOWN = 20;

export function isProtected(path: string): boolean {
  return PROTECTED.some((pattern) => pattern.test(path));
}

/** The instructor's protected files with their hashes (computed once per grading run). */
export function kitFingerprints(kitRoot: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name)) walk(path);
        continue;
      }
      const relativePath = relative(kitRoot, path).split(sep).join('/');
      if (entry.isFile() && isProtected(relativePath)) hashes.set(relativePath, blobHash(readFileSync(path)));
    }
  };
  walk(join(kitRoot, 'labs'));
  walk(join(kitRoot, 'platform'));
  return hashes;
}

/** "changed labs/01-…/checks.ts", "added platform/x.ts", "removed …", "committed .tall/progress.json"; long lists cut. */
export async function tamperedFiles(snapshot: Snapshot, kit: Map<string, string>): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const entry of snapshot.entries) {
    if (!isProtected(entry.path) || entry.path.split('/').some((part) => part === 'node_modules' || part === 'dist')) continue;
    seen.add(entry.path);
    const mine = kit.get(entry.path);
    if (entry.path === '.tall/progress.json') found.push(`committed ${entry.path}`);
    else if (mine === undefined) found.push(`added ${entry.path}`);
    else if ((await hashOf(snapshot, entry)) !== mine) found.push(`changed ${entry.path}`);
  }
  // A submission that has no platform/ or labs/ at all (only services/ handed in) removed nothing.
  const hasKitFiles = seen.size > 0;
  if (hasKitFiles) for (const path of kit.keys()) if (!seen.has(path) && /checks\.ts$|manifest\.yaml$/.test(path)) found.push(`removed ${path}`);
  return found.length > SHOWN ? [...found.slice(0, SHOWN), `… and ${found.length - SHOWN} more`] : found;
}
