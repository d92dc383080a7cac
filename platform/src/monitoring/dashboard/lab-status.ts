import { readFileSync, statSync } from 'node:fs';
import { labPaths } from '../../labs/lab-paths.js';
import { loadManifest, type Manifest } from '../../labs/manifest.js';
import { currentLab, statusOf, type Progress } from '../../labs/progress.js';

/** The learner's current lab and the verdict of its last check, as .tall/progress.json has them. */
export interface LabStatus {
  id: string;
  title: string;
  status: string;
  lastCheck?: { at: string; runtime: string; ok: boolean; points: { earned: number; possible: number }; passed: number; failed: number; skipped: number };
}

/**
 * Reads the progress file (and the lab manifest) only when one of them changed, so a dashboard refreshed every few
 * seconds costs nothing; never writes (a corrupt progress file is `tall labs`' to set aside, not the dashboard's).
 */
export function labStatusReader(workRoot: string): () => LabStatus | undefined {
  const paths = labPaths(workRoot);
  let seen = '';
    let last: LabStatus | undefined;
  const mtime = (file: string) => {
    try {
      return statSync(file).mtimeMs;
    } catch {
      return 0;
    }
  };
  return () => {
    const stamp = `${mtime(paths.manifest)}:${mtime(paths.progressFile)}`;
    if (stamp === seen) return last;
    seen = stamp;
    try {
      const manifest: Manifest = loadManifest(paths);
      const progressStamp = mtime(paths.progressFile);
      const progress: Progress = progressStamp === 0 ? { version: 1, labs: {} } : readOnlyProgress(paths.progressFile);
      const lab = currentLab(progress, manifest);
      const verdict = progress.labs[lab.id]?.last;
      const counts = Object.values(verdict?.checks ?? {});
      last = {
        id: lab.id,
        title: lab.title,
        status: statusOf(progress, lab),
        lastCheck: verdict && {
          at: verdict.at, runtime: verdict.runtime, ok: verdict.ok, points: verdict.points,
          passed: counts.filter((status) => status === 'passed').length,
          failed: counts.filter((status) => status === 'failed').length,
          skipped: counts.filter((status) => status === 'skipped').length,
        },
      };
    } catch {
      last = undefined;
    }
    return last;
  };
}

/** loadProgress moves an unreadable file aside; the dashboard only looks, so it reads the file itself. */
function readOnlyProgress(file: string): Progress {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Progress;
  if (parsed?.version !== 1 || typeof parsed.labs !== 'object' || parsed.labs === null) throw new Error('not a progress file');
  return parsed;
}
