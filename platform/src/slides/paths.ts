import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the kit lives. The deck is content of the kit, not of the current directory, so the default is the repository
 * that holds this module (platform/src/slides → ../../..). TALL_ROOT overrides it (tests use a scratch copy).
 */
export function kitRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TALL_ROOT) return path.resolve(env.TALL_ROOT);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const fromModule = path.resolve(here, '..', '..', '..');
  if (existsSync(path.join(fromModule, 'slides'))) return fromModule;
  return process.cwd();
}

export interface KitPaths {
  root: string;
  slidesDir: string;
  labsDir: string;
  manifest: string;
}

export function kitPaths(root: string): KitPaths {
  return {
    root,
    slidesDir: path.join(root, 'slides'),
    labsDir: path.join(root, 'labs'),
    manifest: path.join(root, 'labs', 'manifest.yaml'),
  };
}

/** A path as people read it in warnings: relative to the kit root, with forward slashes. */
export function displayPath(root: string, file: string): string {
  const rel = path.relative(root, file);
  return (rel.startsWith('..') || path.isAbsolute(rel) ? file : rel).split(path.sep).join('/');
}

/** True when `child` is `parent` or inside it. */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
