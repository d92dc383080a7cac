/**
 * A lab's fixtures: small changes to its solution, kept beside the lab, that prove its checks teach what they claim.
 *  - a fake does the cheapest thing that could pass without the lesson (a catch-all 200, a key written in the code, a
 *    fixed delay instead of a drain): the checks it is aimed at must fail;
 *  - a variant is a valid answer written differently (204 for health, 403 for a wrong key, Compose's `scale:`): every
 *    check must pass.
 *
 *   labs/<id>-<slug>/fixtures/<name>/fixture.yaml
 *     kind: fake | variant
 *     why: what it does instead of the lesson (fake), or how it differs from the solution (variant)
 *     must_fail: [check names]          # fake: the checks it is aimed at
 *     checks: [platform-map]            # variants only, optional: run against these checks alone (its change is read by no other)
 *     edits:                            # text replaced in the solution's files; each `replace` must occur exactly once
 *       - { file: catalog/src/index.ts, replace: "…", with: "…" }
 *   labs/<id>-<slug>/fixtures/<name>/files/…   # files written over the solution's (paths relative to services/)
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Lab } from './manifest.js';
import { UserError } from '../control-plane/user-error.js';
import { copyTree } from './tree.js';

export interface Fixture {
  lab: string;
  name: string;
  kind: 'fake' | 'variant';
  why: string;
  /** fake: checks that must fail */
  mustFail: string[];
  /**
   * variant: the only checks it is run against, when its change is one no other check reads (a file only those checks
   * look at); empty: every check
   */
  onlyChecks: string[];
  edits: { file: string; replace: string; with: string }[];
  /** folder of files written over the solution, when there is one */
  filesDir?: string;
}

/** A broken fixture is a broken lab: said plainly, with the file. */
export class FixtureError extends UserError {}

export function loadFixtures(lab: Lab): Fixture[] {
  const root = join(lab.dir, 'fixtures');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => loadFixture(lab, join(root, entry.name), entry.name))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

function loadFixture(lab: Lab, dir: string, name: string): Fixture {
  const where = `labs/${lab.id}-${lab.slug}/fixtures/${name}/fixture.yaml`;
  const problem = (message: string): never => {
    throw new FixtureError(`${where}: ${message}`);
  };
  let raw: Record<string, unknown>;
  try {
    raw = (parse(readFileSync(join(dir, 'fixture.yaml'), 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (error) {
    return problem((error as Error).message.split('\n')[0]!);
  }
  if (raw.kind !== 'fake' && raw.kind !== 'variant') problem('kind must be "fake" or "variant"');
  if (typeof raw.why !== 'string' || !raw.why.trim()) problem('needs a "why": what it does instead of the lesson, or how it differs');
  const mustFail = raw.must_fail === undefined ? [] : raw.must_fail;
  if (!Array.isArray(mustFail) || !mustFail.every((item) => typeof item === 'string')) problem('must_fail must be a list of check names');
  if (raw.kind === 'fake' && (mustFail as string[]).length === 0) problem('a fake names the checks it must fail (must_fail)');
  const onlyChecks = raw.checks === undefined ? [] : raw.checks;
  if (!Array.isArray(onlyChecks) || !onlyChecks.every((item) => typeof item === 'string')) problem('checks must be a list of check names');
  if (raw.kind === 'fake' && (onlyChecks as string[]).length > 0) problem('a fake is run against the checks it must fail (must_fail), not "checks"');
  const edits = (raw.edits ?? []) as { file?: unknown; replace?: unknown; with?: unknown }[];
  if (!Array.isArray(edits) || !edits.every((edit) => typeof edit.file === 'string' && typeof edit.replace === 'string' && typeof edit.with === 'string')) {
    problem('edits must be a list of { file, replace, with }');
  }
  const filesDir = existsSync(join(dir, 'files')) ? join(dir, 'files') : undefined;
  if (!filesDir && edits.length === 0) problem('changes nothing: give it edits or a files/ folder');
  return { lab: lab.id, name, kind: raw.kind as Fixture['kind'], why: (raw.why as string).trim(), mustFail: mustFail as string[], onlyChecks: onlyChecks as string[], edits: edits as Fixture['edits'], filesDir };
}

/** The solution with the fixture applied, in a fresh temporary folder: the services/ to check. */
export function materialize(fixture: Fixture, solutionDir: string): string {
  const services = join(mkdtempSync(join(tmpdir(), 'tall-fixture-')), 'services');
  copyTree(solutionDir, services);
  if (fixture.filesDir) copyTree(fixture.filesDir, services);
  for (const edit of fixture.edits) {
    const file = join(services, edit.file);
    const where = `fixture ${fixture.lab}/${fixture.name}: ${edit.file}`;
    if (!existsSync(file)) throw new FixtureError(`${where} is not in the solution`);
    const text = readFileSync(file, 'utf8');
    const count = text.split(edit.replace).length - 1;
    if (count !== 1) throw new FixtureError(`${where}: the text to replace occurs ${count} times (it must occur once; the solution changed?): ${JSON.stringify(edit.replace.slice(0, 80))}`);
    writeFileSync(file, text.replace(edit.replace, () => edit.with));
  }
  return services;
}
