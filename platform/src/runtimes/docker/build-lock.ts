import { withMachineLocks } from '../../util/machine-locks.js';

/**
 * One build at a time per build folder, across processes: two environments started from the same services/ (default
 * and staging, or a lab's check environments) each bundle a service into the same dist/ file while the other's image
 * build copies it — a torn file then crashes the container at start.
 */
export function withBuildLock<T>(folders: string[], work: () => Promise<T>, onWait: () => void): Promise<T> {
  return withMachineLocks(folders.map((folder) => `build:${folder}`), work, onWait);
}
