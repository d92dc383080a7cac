import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The names both the writer and the readers rely on, as logrotate and Docker's json-file use them: the current file is
 * logs.jsonl, the one before it logs.1.jsonl, then logs.2.jsonl, … (the highest number is the oldest).
 */
export function rotatedName(file: string, index: number): string {
  if (index === 0) return file;
  const name = basename(file);
  const dot = name.lastIndexOf('.');
  return join(dirname(file), dot > 0 ? `${name.slice(0, dot)}.${index}${name.slice(dot)}` : `${name}.${index}`);
}

/** The rotation numbers present beside `file` (not the current file itself), lowest (newest) first. */
export function rotatedIndexes(file: string): number[] {
  const name = basename(file);
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  let entries: string[];
  try {
    entries = readdirSync(dirname(file));
  } catch {
    return [];
  }
  const indexes: number[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(`${stem}.`) || !entry.endsWith(extension)) continue;
    const middle = entry.slice(stem.length + 1, entry.length - extension.length);
    if (/^[1-9]\d*$/.test(middle)) indexes.push(Number(middle));
  }
  return indexes.sort((a, b) => a - b);
}

/** Removes rotated files beyond what `maxFiles` keeps: left when the setting was lowered between two runs. */
export function removeRotatedBeyond(file: string, maxFiles: number): void {
  for (const index of rotatedIndexes(file)) if (index >= maxFiles) rmSync(rotatedName(file, index), { force: true });
}
