/**
 * The lab manifest (labs/manifest.yaml): the order of the labs, their titles and topics, and the defaults every lab gets.
 * Each check — its name, points and time limit — is written once, beside its lab (labs/<id>-<slug>/checks.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseDuration } from '../compose/duration.js';
import type { LabPaths } from './lab-paths.js';

export interface Lab {
  /** "01" */
  id: string;
  slug: string;
  title: string;
  topic?: string;
  feature?: string;
  /** position in the path, 0-based */
  index: number;
  /** labs/<id>-<slug> */
  dir: string;
  readme: string;
  checksFile: string;
  solutionDir: string;
  /** the lab has a checks file (later labs of the path may not be written yet) */
  available: boolean;
  /** a check's time limit when it sets none */
  defaultCheckTimeoutMs: number;
  /** how long the throwaway platform may take to start, process runtime (docker gets `dockerFactor` times more) */
  startTimeoutMs: number;
}

export interface Manifest {
  file: string;
  labs: Lab[];
  /** the starting state of the first lab: the shop as shipped */
  startDir: string;
  /** how much longer every time limit is on the docker runtime (image builds, container starts) */
  dockerFactor: number;
}

export class ManifestError extends Error {}

const ID = /^\d{2}$/;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function loadManifest(paths: LabPaths): Manifest {
  let text: string;
  try {
    text = readFileSync(paths.manifest, 'utf8');
  } catch {
    throw new ManifestError(`no lab manifest at ${paths.manifest}`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = (parse(text) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new ManifestError(`labs/manifest.yaml: ${(error as Error).message.split('\n')[0]}`);
  }
  const problem = (message: string): never => {
    throw new ManifestError(`labs/manifest.yaml: ${message}`);
  };
  const defaults = (doc.defaults ?? {}) as Record<string, unknown>;
  const duration = (value: unknown, fallback: number, where: string) => {
    try {
      return parseDuration(value, fallback);
    } catch (error) {
      return problem(`${where}: ${(error as Error).message}`);
    }
  };
  const defaultCheckTimeoutMs = duration(defaults.check_timeout, 15_000, 'defaults.check_timeout');
  if (defaults.points !== undefined) problem('defaults.points: points are written on each check, in its checks.ts');
  const defaultStart = duration(defaults.start_timeout, 90_000, 'defaults.start_timeout');
  const dockerFactor = Number(defaults.docker_factor ?? 3);
  if (!(dockerFactor >= 1)) problem('defaults.docker_factor must be a number ≥ 1');
  if (!Array.isArray(doc.labs)) problem('needs a top-level "labs:" list');
  const seen = new Set<string>();
  const labs = (doc.labs as unknown[]).map((raw, index): Lab => {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const id = typeof entry.id === 'number' ? String(entry.id).padStart(2, '0') : entry.id;
    if (typeof id !== 'string' || !ID.test(id)) problem(`lab #${index + 1}: id must be two digits in quotes, e.g. "03"`);
    const labId = id as string;
    if (seen.has(labId)) problem(`lab ${labId} is listed twice`);
    seen.add(labId);
    if (typeof entry.slug !== 'string' || !SLUG.test(entry.slug)) problem(`lab ${labId}: slug must be kebab-case`);
    if (typeof entry.title !== 'string' || !entry.title.trim()) problem(`lab ${labId}: needs a title`);
    const folder = `${labId}-${entry.slug as string}`;
    const dir = join(paths.labsDir, folder);
    const checksFile = join(dir, 'checks.ts');
    if (entry.checks !== undefined) problem(`lab ${labId}: "checks" — each check's points and time limit are written on the check itself, in ${folder}/checks.ts`);
    return {
      id: labId,
      slug: entry.slug as string,
      title: entry.title as string,
      topic: typeof entry.topic === 'string' ? entry.topic : undefined,
      feature: typeof entry.feature === 'string' ? entry.feature : undefined,
      index,
      dir,
      readme: join(dir, 'README.md'),
      checksFile,
      solutionDir: join(paths.solutionsDir, folder),
      available: existsSync(checksFile),
      defaultCheckTimeoutMs,
      startTimeoutMs: duration(entry.start_timeout, defaultStart, `lab ${labId}: start_timeout`),
    };
  });
  if (labs.length === 0) problem('lists no labs');
  const startDir = resolve(paths.kitRoot, typeof doc.start === 'string' ? doc.start : 'solutions/start');
  return { file: paths.manifest, labs, startDir, dockerFactor };
}

/** "1", "01", "01-<slug>" or "<slug>" → the lab; undefined when no lab matches. */
export function findLab(manifest: Manifest, ref: string): Lab | undefined {
  const text = ref.trim().toLowerCase();
  const asId = /^\d{1,2}$/.test(text) ? text.padStart(2, '0') : undefined;
  return manifest.labs.find((lab) => lab.id === asId || `${lab.id}-${lab.slug}` === text || lab.slug === text);
}

/**
 * The folder whose files are the lab's starting state: the solution of the last lab before it that is written, or the
 * shop as shipped. (While a lab of the path is still unwritten, the next one starts where the one before it ended.)
 */
export function startingStateDir(manifest: Manifest, lab: Lab): string {
  const previous = manifest.labs.slice(0, lab.index).reverse().find((earlier) => earlier.available);
  return previous ? previous.solutionDir : manifest.startDir;
}

export function nextLab(manifest: Manifest, lab: Lab): Lab | undefined {
  return manifest.labs[lab.index + 1];
}

/** "no lab 42. The labs: …" — what a learner sees for a lab number that does not exist. */
export function describeLabs(manifest: Manifest): string {
  return manifest.labs.map((lab) => `  ${lab.id}  ${lab.slug}${lab.available ? '' : '  (not written yet)'}`).join('\n');
}
