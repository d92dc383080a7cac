/**
 * Where the lab engine finds things. Two roots, usually the same folder:
 *  - the kit root holds the content: labs/manifest.yaml, labs/<id>-<slug>/, solutions/<id>-<slug>/;
 *  - the work root holds the learner's services/ and .tall/ (progress, snapshots, throwaway check platforms).
 * The work root is the platform's root (TALL_ROOT, else the nearest folder up with services/compose.yaml). The kit root
 * is the work root when it has labs/manifest.yaml, else the kit this platform/ folder belongs to.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRoot } from '../environments/environment.js';

/** The kit this code lives in: platform/src/labs/ → three folders up. */
export const KIT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The `tall` CLI entry, run as a child process for checks (the way a learner runs it). */
export const TALL_BIN = join(KIT_ROOT, 'platform', 'bin', 'tall.js');

export interface LabPaths {
  kitRoot: string;
  workRoot: string;
  manifest: string;
  labsDir: string;
  solutionsDir: string;
  services: string;
  /** .tall/ of the work root */
  tallDir: string;
  progressFile: string;
  snapshotsDir: string;
  /** throwaway platforms started by `tall check` live here, one folder ("slot") per concurrent run */
  checksDir: string;
}

export function labPaths(workRoot?: string, kitRoot?: string): LabPaths {
  const work = resolve(workRoot ?? findRoot());
  const kit = resolve(kitRoot ?? (existsSync(join(work, 'labs', 'manifest.yaml')) ? work : KIT_ROOT));
  const tallDir = join(work, '.tall');
  return {
    kitRoot: kit,
    workRoot: work,
    manifest: join(kit, 'labs', 'manifest.yaml'),
    labsDir: join(kit, 'labs'),
    solutionsDir: join(kit, 'solutions'),
    services: join(work, 'services'),
    tallDir,
    progressFile: join(tallDir, 'progress.json'),
    snapshotsDir: join(tallDir, 'snapshots'),
    checksDir: join(tallDir, 'checks'),
  };
}
