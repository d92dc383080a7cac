/**
 * `tall solve NN` and `tall reset NN`: replace the learner's services/ with a lab's solution or its starting state (or a
 * snapshot). Always snapshots the current services/ first; refuses over uncommitted work unless forced.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uncommittedWork, type WorkState } from './git-status.js';
import type { LabPaths } from './lab-paths.js';
import { listFiles, mirrorTree, type MirrorResult } from './tree.js';
import { takeSnapshot, type Snapshot } from './snapshots.js';

export class RefusedError extends Error {
  constructor(message: string, readonly fix: string, readonly files: string[]) {
    super(message);
  }
}

export interface ReplaceResult extends MirrorResult {
  snapshot: Snapshot;
  work: WorkState;
  /** package.json dependencies changed: the learner must run npm install */
  needsInstall: string[];
}

/** Makes services/ equal to `source` (node_modules and dist kept), after a snapshot. */
export async function replaceServices(paths: LabPaths, source: string, what: string, options: { force: boolean; reason: string; command: string }): Promise<ReplaceResult> {
  if (!existsSync(source) || listFiles(source).length === 0) throw new Error(`${what} is missing: ${source} has no files`);
  const work = await uncommittedWork(paths.workRoot);
  if (work.kind === 'uncommitted' && !options.force) {
    const shown = work.files.slice(0, 8).map((file) => `  ${file}`).join('\n') + (work.files.length > 8 ? `\n  … and ${work.files.length - 8} more` : '');
    throw new RefusedError(
      `services/ has changes git has not saved, and "${options.command}" would replace them with ${what}:\n${shown}`,
      `commit them first (git add services && git commit -m "my lab work"), or run "${options.command} --force" — your current services/ is snapshotted under .tall/snapshots/ either way and "tall reset --snapshot latest" brings it back`,
      work.files,
    );
  }
  const before = dependencies(paths.services);
  const snapshot = takeSnapshot(paths.snapshotsDir, paths.services, options.reason);
  const mirrored = mirrorTree(source, paths.services);
  const after = dependencies(paths.services);
  const needsInstall = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => before[key] !== after[key]);
  return { ...mirrored, snapshot, work, needsInstall };
}

/** Every service's package.json dependencies, as "service:package" → version. */
function dependencies(servicesDir: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const file of listFiles(servicesDir).filter((path) => /^[^/]+\/package\.json$/.test(path))) {
    try {
      const manifest = JSON.parse(readFileSync(join(servicesDir, file), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) found[`${file.split('/')[0]}:${name}`] = version;
    } catch {
      // a broken package.json is the learner's to fix; npm will say so
    }
  }
  return found;
}
