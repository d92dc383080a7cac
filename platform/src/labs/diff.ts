/**
 * `tall diff NN`: the learner's services/ against a lab's solution, file by file, as unified diffs (what would change
 * if they took the solution). Noise — node_modules, build output — is left out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTrees } from './tree.js';

export interface FileDiff {
  file: string;
  kind: 'only-in-yours' | 'only-in-solution' | 'changed';
  /** unified diff lines ("@@ …", " context", "-yours", "+solution"); empty for binary or huge files */
  lines: string[];
  added: number;
  removed: number;
}

export function diffTrees(yours: string, solution: string): FileDiff[] {
  const difference = compareTrees(yours, solution);
  const read = (root: string, file: string) => readFileSync(join(root, file), 'utf8');
  const result: FileDiff[] = [];
  for (const file of difference.changed) {
    const lines = unifiedDiff(read(yours, file), read(solution, file));
    result.push({ file, kind: 'changed', lines, added: lines.filter((l) => l.startsWith('+')).length, removed: lines.filter((l) => l.startsWith('-')).length });
  }
  for (const file of difference.onlyInB) {
    const lines = unifiedDiff('', read(solution, file));
    result.push({ file, kind: 'only-in-solution', lines, added: lines.filter((l) => l.startsWith('+')).length, removed: 0 });
  }
  for (const file of difference.onlyInA) {
    const lines = unifiedDiff(read(yours, file), '');
    result.push({ file, kind: 'only-in-yours', lines, added: 0, removed: lines.filter((l) => l.startsWith('-')).length });
  }
  return result.sort((a, b) => a.file.localeCompare(b.file));
}

type Op = { kind: ' ' | '-' | '+'; text: string; a: number; b: number };

/** A unified diff with `context` lines around each change (longest common subsequence of lines). */
export function unifiedDiff(before: string, after: string, context = 3): string[] {
  if (before.includes('\u0000') || after.includes('\u0000')) return ['(binary file)'];
  const a = splitLines(before);
  const b = splitLines(after);
  if (a.length * b.length > 4_000_000) return [`(too large to show: ${a.length} → ${b.length} lines)`];
  // lcs[i][j]: length of the LCS of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: ' ', text: a[i]!, a: i++, b: j++ });
    else if (j < b.length && (i === a.length || lcs[i]![j + 1]! > lcs[i + 1]![j]!)) ops.push({ kind: '+', text: b[j]!, a: i, b: j++ });
    else ops.push({ kind: '-', text: a[i]!, a: i++, b: j });
  }
  const out: string[] = [];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    // a hunk: from `context` lines before this change to `context` lines after the last change within reach
    let end = k;
    while (end < ops.length) {
      let next = end;
      while (next < ops.length && ops[next]!.kind !== ' ') next++;
      let gap = next;
      while (gap < ops.length && ops[gap]!.kind === ' ') gap++;
      if (gap < ops.length && gap - next <= context * 2) end = gap;
      else {
        end = next;
        break;
      }
    }
    const from = Math.max(0, k - context);
    const to = Math.min(ops.length, end + context);
    const hunk = ops.slice(from, to);
    const aStart = hunk[0]!.a;
    const bStart = hunk[0]!.b;
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${aCount ? aStart + 1 : aStart},${aCount} +${bCount ? bStart + 1 : bStart},${bCount} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.text}`);
    k = to;
  }
  return out;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
