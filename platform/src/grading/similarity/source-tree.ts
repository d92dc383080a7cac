/**
 * The part of a services/ folder that similarity looks at: source and configuration a student writes, never what npm
 * or a build put there. One reading serves both layers (the tree hash and jscpd), so they agree on what was compared.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

const SOURCE_EXTENSIONS = new Set(['.ts', '.js', '.mjs', '.json', '.yaml', '.yml']);
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git']);
const SKIPPED_FILES = new Set(['package-lock.json']);

/** relative path ('/'-separated) → content */
export type SourceTree = Map<string, string>;

/** Links are not followed: a submission's link could point anywhere on the grader's machine. */
export async function readSourceTree(root: string): Promise<SourceTree> {
  const tree: SourceTree = new Map();
  async function walk(dir: string, prefix: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(join(dir, entry.name), rel);
      } else if (entry.isFile() && SOURCE_EXTENSIONS.has(extname(entry.name)) && !SKIPPED_FILES.has(entry.name)) {
        tree.set(rel, await readFile(join(dir, entry.name), 'utf8'));
      }
    }
  }
  await walk(root, '');
  return tree;
}

/** Equal hashes = the same files with the same contents (line endings normalised: a Windows checkout is no new work). */
export function treeHash(tree: SourceTree): string {
  const hash = createHash('sha256');
  for (const path of [...tree.keys()].sort()) hash.update(`${path}\0${tree.get(path)!.replace(/\r\n/g, '\n')}\0`);
  return hash.digest('hex');
}
