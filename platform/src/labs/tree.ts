/**
 * File trees without the noise: what a learner's services/ "is" — its sources, compose file and config — leaving out
 * installed packages and build output. Used to copy services/ for a check, to apply a solution, to snapshot, to diff.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** Folder and file names that are never part of the learner's work. */
const NOISE_DIRS = new Set(['node_modules', 'dist', 'build', 'coverage', '.git', '.turbo', '.cache']);
const NOISE_FILES = [/^\.DS_Store$/, /^Thumbs\.db$/, /\.log$/, /\.tsbuildinfo$/, /~$/, /\.swp$/];

export function isNoise(name: string, isDir: boolean): boolean {
  return isDir ? NOISE_DIRS.has(name) : NOISE_FILES.some((pattern) => pattern.test(name));
}

/** Every file under `root` that is not noise, as sorted forward-slash paths relative to it. */
export function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (isNoise(entry.name, entry.isDirectory())) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return files.sort();
}

/** Copies the non-noise files of `from` into `to` (created if needed). Files already in `to` are overwritten. */
export function copyTree(from: string, to: string): number {
  const files = listFiles(from);
  for (const file of files) {
    const target = join(to, file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(from, file), target);
  }
  mkdirSync(to, { recursive: true });
  return files.length;
}

export interface MirrorResult {
  written: string[];
  removed: string[];
}

/**
 * Makes `to` hold exactly the non-noise files of `from`: copies new and changed files, deletes files `from` does not have,
 * and leaves noise (node_modules, dist) alone so nothing needs reinstalling.
 */
export function mirrorTree(from: string, to: string): MirrorResult {
  const wanted = new Set(listFiles(from));
  const result: MirrorResult = { written: [], removed: [] };
  for (const file of listFiles(to)) {
    if (!wanted.has(file)) {
      rmSync(join(to, file));
      result.removed.push(file);
    }
  }
  for (const file of wanted) {
    const source = join(from, file);
    const target = join(to, file);
    if (existsSync(target) && sameContent(source, target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    result.written.push(file);
  }
  removeEmptyDirs(to);
  return result;
}

export function sameContent(a: string, b: string): boolean {
  const statA = statSync(a);
  const statB = statSync(b);
  return statA.size === statB.size && readFileSync(a).equals(readFileSync(b));
}

export interface TreeDifference {
  onlyInA: string[];
  onlyInB: string[];
  changed: string[];
}

export function compareTrees(a: string, b: string): TreeDifference {
  const filesA = new Set(listFiles(a));
  const filesB = new Set(listFiles(b));
  return {
    onlyInA: [...filesA].filter((file) => !filesB.has(file)),
    onlyInB: [...filesB].filter((file) => !filesA.has(file)),
    changed: [...filesA].filter((file) => filesB.has(file) && !sameContent(join(a, file), join(b, file))),
  };
}

export function isSameTree(difference: TreeDifference): boolean {
  return difference.onlyInA.length + difference.onlyInB.length + difference.changed.length === 0;
}

/** Removes folders left empty (never `root` itself, never noise folders). */
function removeEmptyDirs(root: string): void {
  const visit = (dir: string): boolean => {
    let empty = true;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !isNoise(entry.name, true)) {
        if (!visit(join(dir, entry.name))) empty = false;
      } else {
        empty = false;
      }
    }
    if (empty && dir !== root) rmdirSync(dir);
    return empty;
  };
  if (existsSync(root)) visit(root);
}
