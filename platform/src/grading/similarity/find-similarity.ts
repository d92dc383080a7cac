/**
 * Which submissions are, or nearly are, a published solution or another student's. Two layers: identical trees (a
 * hash: certain, cheap) and near-copies (jscpd clones, renamed identifiers included). What every student was given —
 * the lab's starting code — is shared by all and proves nothing, so only each submission's own lines count: lines
 * that are neither in a file left as the baseline has it nor in a clone of the baseline.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SimilarityFinding } from '../grade-report.js';
import { detectClones, type Clone } from './jscpd.js';
import { readSourceTree, treeHash, type SourceTree } from './source-tree.js';

export interface SimilarityInput {
  submissions: { student: string; servicesDir: string }[];
  /** the published solutions (`solutions/<lab>/`) a submission may have been copied from */
  solutions: { lab: string; servicesDir: string }[];
  /** what the students started from: solutions/start, or the solution of the lab before */
  baseline: string;
  /** percent of a submission's own lines from which a near-copy is reported (default 60) */
  threshold?: number;
}

export const DEFAULT_THRESHOLD = 60;

type Owner = { kind: 'baseline' } | { kind: 'solution'; lab: string } | { kind: 'student'; id: string };

/** Every line of every scanned file is a node; clones join the lines they align, so copies of copies meet. */
class LineSets {
  private readonly parent: Int32Array;
  constructor(size: number) {
    this.parent = Int32Array.from({ length: size }, (_, i) => i);
  }
  find(node: number): number {
    let root = node;
    while (this.parent[root] !== root) root = this.parent[root]!;
    while (this.parent[node] !== root) [node, this.parent[node]] = [this.parent[node]!, root];
    return root;
  }
  join(a: number, b: number): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.parent[ra] = rb;
  }
}

interface ScannedFile {
  owner: number;
  lines: string[];
  /** index of its first line among all nodes */
  offset: number;
}

function identicalFindings(
  students: { id: string; hash: string }[],
  solutions: { lab: string; hash: string }[],
  baselineHash: string,
): { findings: SimilarityFinding[]; pairs: Set<string> } {
  const findings: SimilarityFinding[] = [];
  const pairs = new Set<string>();
  const byHash = new Map<string, string[]>();
  for (const s of students) {
    // Handing in the starting code unchanged is no copying (the grade already says so).
    if (s.hash === baselineHash) continue;
    byHash.set(s.hash, [...(byHash.get(s.hash) ?? []), s.id]);
  }
  for (const [hash, ids] of byHash) {
    const solution = solutions.find((sol) => sol.hash === hash);
    for (const id of ids) {
      if (solution) {
        findings.push({ kind: 'solution', students: [id], solution: solution.lab, percent: 100, identical: true, detail: `identical, file for file, to solutions/${solution.lab}` });
        pairs.add(`${id}\0solution:${solution.lab}`);
      }
    }
    // Students who all handed in the same solution are reported against it, not against each other.
    if (solution) continue;
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        findings.push({ kind: 'peer', students: [ids[i]!, ids[j]!], percent: 100, identical: true, detail: `identical, file for file${ids.length > 2 ? ` (${ids.length} submissions share this tree)` : ''}` });
        pairs.add(`${ids[i]}\0${ids[j]}`);
      }
    }
  }
  return { findings, pairs };
}

/** A line as jscpd with --ignore-identifiers sees it, near enough: names and spacing do not matter. */
function lineShape(line: string): string {
  return line.replace(/[A-Za-z_$][\w$]*/g, 'x').replace(/\s+/g, '');
}

/** How far from its proportional place a line of a reformatted copy may have moved. */
const ALIGN_WINDOW = 3;

/**
 * Each line of a clone's first side joined to the line of the same shape near the same place in its second side. A
 * clone's range spans comments it did not compare (a rewritten comment inside copied code) and reformatted copies
 * spread tokens over other lines: only lines that match count as copied.
 */
function joinClone(sets: LineSets, clone: Clone, files: Map<string, ScannedFile>): void {
  const a = files.get(clone.firstFile.name);
  const b = files.get(clone.secondFile.name);
  if (!a || !b) return;
  const [startA, endA] = [clone.firstFile.start - 1, Math.min(clone.firstFile.end, a.lines.length) - 1];
  const [startB, endB] = [clone.secondFile.start - 1, Math.min(clone.secondFile.end, b.lines.length) - 1];
  const spanA = endA - startA;
  const spanB = endB - startB;
  for (let lineA = startA; lineA <= endA; lineA++) {
    const shape = lineShape(a.lines[lineA]!);
    if (!shape) continue;
    const guess = startB + (spanA <= 0 ? 0 : Math.round(((lineA - startA) * spanB) / spanA));
    for (let d = 0; d <= ALIGN_WINDOW; d++) {
      const match = [guess - d, guess + d].find((lineB) => lineB >= startB && lineB <= endB && lineShape(b.lines[lineB]!) === shape);
      if (match !== undefined) {
        sets.join(a.offset + lineA, b.offset + match);
        break;
      }
    }
  }
}

/**
 * Solution matches and peer pairs, identical ones first. For a near-copy, `percent` is the share of the submission's
 * own (non-blank, not from the baseline) lines that also stand in the other tree; for a pair, the larger of the two
 * shares. Lines a pair shares with a published solution count for the solution, not for the pair.
 */
export async function findSimilarity(input: SimilarityInput): Promise<SimilarityFinding[]> {
  const threshold = input.threshold ?? DEFAULT_THRESHOLD;
  const baseline = await readSourceTree(input.baseline);
  const solutions = await Promise.all(input.solutions.map(async (s) => ({ lab: s.lab, tree: await readSourceTree(s.servicesDir) })));
  const students: { id: string; tree: SourceTree }[] = [];
  // One at a time: 200 trees read at once would open thousands of files together.
  for (const s of input.submissions) students.push({ id: s.student, tree: await readSourceTree(s.servicesDir) });

  const identical = identicalFindings(
    students.map((s) => ({ id: s.id, hash: treeHash(s.tree) })),
    solutions.map((s) => ({ lab: s.lab, hash: treeHash(s.tree) })),
    treeHash(baseline),
  );

  const owners: Owner[] = [{ kind: 'baseline' }, ...solutions.map((s): Owner => ({ kind: 'solution', lab: s.lab })), ...students.map((s): Owner => ({ kind: 'student', id: s.id }))];
  const trees = [baseline, ...solutions.map((s) => s.tree), ...students.map((s) => s.tree)];
  const scan = await mkdtemp(join(tmpdir(), 'tall-similarity-'));
  try {
    const files = new Map<string, ScannedFile>();
    let nodes = 0;
    for (const [owner, tree] of trees.entries()) {
      for (const [path, content] of tree) {
        // A file as the baseline has it is starting code wherever it stands: not scanned, not counted.
        if (owner !== 0 && baseline.get(path) === content) continue;
        const name = `src/${owner}/${path}`;
        await mkdir(dirname(join(scan, name)), { recursive: true });
        await writeFile(join(scan, name), content);
        const lines = content.split('\n');
        files.set(name, { owner, lines, offset: nodes });
        nodes += lines.length;
      }
    }
    const clones = await detectClones(join(scan, 'src'), join(scan, 'report'));
    const sets = new LineSets(nodes);
    const prefixed = new Map([...files].map(([name, file]) => [name.slice('src/'.length), file]));
    for (const clone of clones) joinClone(sets, clone, prefixed);

    // Which owners each class of copied lines reaches.
    const reach = new Map<number, Set<number>>();
    for (const file of files.values()) {
      for (let line = 0; line < file.lines.length; line++) {
        const root = sets.find(file.offset + line);
        let set = reach.get(root);
        if (!set) reach.set(root, (set = new Set()));
        set.add(file.owner);
      }
    }

    const firstStudent = 1 + solutions.length;
    const own = new Map<number, number>();
    /** key "owner other" → lines of owner also in other */
    const shared = new Map<string, number>();
    for (const file of files.values()) {
      if (file.owner < firstStudent) continue;
      for (let line = 0; line < file.lines.length; line++) {
        if (!file.lines[line]!.trim()) continue;
        const others = reach.get(sets.find(file.offset + line))!;
        if (others.has(0)) continue;
        own.set(file.owner, (own.get(file.owner) ?? 0) + 1);
        const fromSolution = [...others].some((o) => o > 0 && o < firstStudent);
        for (const other of others) {
          if (other === file.owner || (other >= firstStudent && fromSolution)) continue;
          const key = `${file.owner} ${other}`;
          shared.set(key, (shared.get(key) ?? 0) + 1);
        }
      }
    }

    const near: SimilarityFinding[] = [];
    const share = (a: number, b: number) => ((shared.get(`${a} ${b}`) ?? 0) * 100) / Math.max(1, own.get(a) ?? 0);
    const round = (n: number) => Math.round(n * 10) / 10;
    for (let s = firstStudent; s < owners.length; s++) {
      const student = (owners[s] as { id: string }).id;
      for (let sol = 1; sol < firstStudent; sol++) {
        const lab = (owners[sol] as { lab: string }).lab;
        const percent = share(s, sol);
        if (percent < threshold || identical.pairs.has(`${student}\0solution:${lab}`)) continue;
        near.push({ kind: 'solution', students: [student], solution: lab, percent: round(percent), identical: false, detail: `${shared.get(`${s} ${sol}`) ?? 0} of ${own.get(s) ?? 0} own lines also in solutions/${lab}` });
      }
      for (let t = s + 1; t < owners.length; t++) {
        const other = (owners[t] as { id: string }).id;
        const [st, ts] = [share(s, t), share(t, s)];
        const percent = Math.max(st, ts);
        if (percent < threshold || identical.pairs.has(`${student}\0${other}`)) continue;
        near.push({
          kind: 'peer',
          students: [student, other],
          percent: round(percent),
          identical: false,
          detail: `${student}: ${round(st)} % of ${own.get(s) ?? 0} own lines in ${other}'s; ${other}: ${round(ts)} % of ${own.get(t) ?? 0} in ${student}'s`,
        });
      }
    }
    return [...identical.findings, ...near.sort((a, b) => b.percent - a.percent)];
  } finally {
    await rm(scan, { recursive: true, force: true });
  }
}
