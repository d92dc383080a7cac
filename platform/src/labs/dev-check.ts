/**
 * The labs' self-test, `tall dev check` (rustlings' `dev check`, against a running system): for every lab N that has
 * checks and a solution,
 *  - its starting state (the previous lab's solution, or the shop as shipped) must FAIL at least one of lab N's checks;
 *  - its solution must PASS lab N's checks and every earlier lab's checks;
 *  - each of its fakes (fixtures.ts) must FAIL the checks it is aimed at, and each valid variant must PASS them all.
 * A lab whose checks pass on an unsolved state or a cheap fake, or fail on the solution or a valid answer, would wreck a
 * classroom. With "both" runtimes the docker column says "skipped: <reason>" when no engine answers. It fails when any
 * lab breaks a rule, or when solutions/start no longer matches services/ (the shop as shipped).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { color, table } from '../cli/output.js';
import { driverFor } from '../runtimes/registry.js';
import type { RuntimeKind } from './check-api.js';
import { loadFixtures, materialize, type Fixture } from './fixtures.js';
import { KIT_ROOT, labPaths } from './lab-paths.js';
import { loadManifest, startingStateDir, type Lab, type Manifest } from './manifest.js';
import { CheckSession, type LabResult } from './runner.js';
import { compareTrees, isSameTree } from './tree.js';
import { inPool } from '../util/pool.js';

export interface DevCheckOptions {
  runtimes: RuntimeKind[];
  /** where the fakes and variants run (they are many: the process runtime is enough to prove a check's logic) */
  fixtureRuntimes: RuntimeKind[];
  /**
   * where every solution also passes every earlier lab's checks; elsewhere only the last lab's solution does, when every
   * lab runs (one pass of the whole path: the cost grows with the square of the labs); default: all
   */
  earlierLabRuntimes?: RuntimeKind[];
  /** lab ids; default every lab that has checks */
  labs?: string[];
  /** the last of `labs`' solution also passes every earlier lab's checks (default: only when every lab runs) */
  wholePath?: boolean;
  /** fakes and variants checked side by side (default 1) */
  fixtureJobs?: number;
  /** progress lines, for people */
  say?: (line: string) => void;
}

export interface FixtureOutcome {
  name: string;
  kind: Fixture['kind'];
  why: string;
  ok: boolean;
  /** what happened, e.g. "fails health-endpoints, info-endpoints" */
  result: string;
}

export interface Row {
  lab: string;
  runtime: RuntimeKind;
  starter: string;
  /** for the table: "fails 2/4" */
  starterShort: string;
  starterOk: boolean;
  solution: string;
  solutionOk: boolean;
  /** not run on this runtime: undefined */
  fixtures?: FixtureOutcome[];
  seconds: number;
  details: string[];
}

export interface DevCheckReport {
  schema: 'tall-dev-check/1';
  ok: boolean;
  start: string;
  rows: Row[];
  skipped: Partial<Record<RuntimeKind, string>>;
  seconds: number;
}

async function runSession(manifest: Manifest, runtime: RuntimeKind, source: string, labs: Lab[], only?: string[]): Promise<LabResult[]> {
  const paths = labPaths(KIT_ROOT, KIT_ROOT);
  const session = new CheckSession({ paths, runtime, source, manifest });
  const stop = () => session.interrupt();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const results: LabResult[] = [];
    for (const lab of labs) results.push(await session.runLab(lab, only));
    return results;
  } finally {
    await session.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function failures(result: LabResult): string[] {
  if (!result.platform.started) return [`lab ${result.lab.id}: the shop did not start: ${result.platform.failure?.reason ?? '?'} ${result.platform.failure?.logTail.slice(-5).join(' | ') ?? ''}`];
  return result.checks.filter((check) => check.status !== 'passed').map((check) => `lab ${result.lab.id} ${check.name}: ${check.status}: ${(check.message ?? '').split('\n').join(' ')}`);
}

/**
 * A shop that did not start says nothing about the checks, so such a run is tried once more — and the first failure is
 * still printed, so a flaky platform start stays visible instead of hidden.
 */
async function runSessionOnce(manifest: Manifest, runtime: RuntimeKind, source: string, labs: Lab[], details: string[], only?: string[]): Promise<LabResult[]> {
  const first = await runSession(manifest, runtime, source, labs, only);
  const unstarted = first.filter((result) => !result.platform.started);
  if (unstarted.length === 0) return first;
  details.push(...unstarted.flatMap(failures).map((line) => `retried after: ${line}`));
  return runSession(manifest, runtime, source, labs, only);
}

/** A fake must fail every check it is aimed at; a variant must pass them all. */
async function testFixture(manifest: Manifest, lab: Lab, fixture: Fixture, runtime: RuntimeKind, details: string[]): Promise<FixtureOutcome> {
  const services = materialize(fixture, lab.solutionDir);
  try {
    // A fake is judged by the checks it aims at, so only those run; a variant must pass them all (or all it names).
    const aimedAt = fixture.kind === 'fake' ? fixture.mustFail : fixture.onlyChecks;
    const [result] = await runSessionOnce(manifest, runtime, services, [lab], details, aimedAt.length > 0 ? aimedAt : undefined);
    const failed = result!.checks.filter((check) => check.status === 'failed').map((check) => check.name);
    const base = { name: fixture.name, kind: fixture.kind, why: fixture.why };
    if (!result!.platform.started) {
      const outcome = { ...base, ok: false, result: `the shop did not start: ${result!.platform.failure?.reason ?? '?'}` };
      details.push(`lab ${lab.id} ${fixture.kind} ${fixture.name}: ${outcome.result}`);
      return outcome;
    }
    const unknown = aimedAt.filter((name) => !result!.checks.some((check) => check.name === name));
    if (unknown.length) details.push(`lab ${lab.id} ${fixture.kind} ${fixture.name}: ${fixture.kind === 'fake' ? 'must_fail' : 'checks'} names checks the lab does not have: ${unknown.join(', ')}`);
    if (fixture.kind === 'variant') {
      const run = aimedAt.length > 0 ? result!.checks.filter((check) => aimedAt.includes(check.name)) : result!.checks;
      const notPassed = [...run.filter((check) => check.status !== 'passed').map((check) => check.name), ...unknown];
      if (notPassed.length > 0) details.push(...failures(result!).map((line) => `a valid variant is refused — ${fixture.name} (${fixture.why}): ${line}`));
      return { ...base, ok: notPassed.length === 0, result: notPassed.length === 0 ? 'passes' : `fails ${notPassed.join(', ')}` };
    }
    const missed = fixture.mustFail.filter((name) => !failed.includes(name));
    if (missed.length) details.push(`lab ${lab.id}: a cheap fake passes ${missed.join(', ')} — ${fixture.name}: ${fixture.why}`);
    return { ...base, ok: missed.length === 0 && unknown.length === 0, result: failed.length ? `fails ${failed.join(', ')}` : `PASSES ${fixture.mustFail.join(', ')}` };
  } finally {
    rmSync(dirname(services), { recursive: true, force: true });
  }
}

async function testLab(manifest: Manifest, lab: Lab, runtime: RuntimeKind, withFixtures: boolean, withEarlierLabs: boolean, fixtureJobs: number, say: (line: string) => void): Promise<Row> {
  const started = Date.now();
  const details: string[] = [];
  const [starter] = await runSessionOnce(manifest, runtime, startingStateDir(manifest, lab), [lab], details);
  const failed = starter!.checks.filter((check) => check.status === 'failed');
  const starterOk = starter!.platform.started && failed.length > 0;
  const starterText = !starter!.platform.started
    ? 'shop did not start'
    : failed.length > 0
      ? `fails ${failed.length}/${starter!.checks.length}: ${failed.map((check) => check.name).join(', ')}`
      : `PASSES all ${starter!.checks.length}`;
  if (!starterOk) details.push(`starter of lab ${lab.id} should fail at least one check: ${starterText}`, ...failures(starter!));
  const upTo = manifest.labs.filter((candidate) => (candidate.index < lab.index ? withEarlierLabs : candidate.index === lab.index) && candidate.available);
  const solved = await runSessionOnce(manifest, runtime, lab.solutionDir, upTo, details);
  const broken = solved.flatMap(failures);
  const solutionOk = broken.length === 0 && solved.every((result) => result.ok);
  const passed = solved.reduce((sum, result) => sum + result.summary.passed, 0);
  const total = solved.reduce((sum, result) => sum + result.checks.length, 0);
  const range = upTo.length > 1 ? `labs ${upTo[0]!.id}–${lab.id}` : `lab ${lab.id}`;
  details.push(...broken);
  let fixtures: FixtureOutcome[] | undefined;
  if (withFixtures) {
    // Each fixture in a session of its own (its own slot, ports and module of the lab's checks): side by side is safe.
    fixtures = (await inPool(loadFixtures(lab), fixtureJobs, async (fixture) => {
      const outcome = await testFixture(manifest, lab, fixture, runtime, details);
      say(`  ${runtime}: lab ${lab.id} ${fixture.kind} ${fixture.name}: ${outcome.result} ${outcome.ok ? '✔' : '✘'}`);
      return outcome;
    })) as FixtureOutcome[];
  }
  return {
    lab: lab.id,
    runtime,
    starter: starterText,
    starterShort: !starter!.platform.started ? 'shop did not start' : failed.length > 0 ? `fails ${failed.length}/${starter!.checks.length}` : `PASSES ${starter!.checks.length}/${starter!.checks.length}`,
    starterOk,
    solution: solutionOk ? `passes ${passed}/${total} (${range})` : `fails ${total - passed}/${total} (${range})`,
    solutionOk,
    fixtures,
    seconds: Math.round((Date.now() - started) / 1000),
    details,
  };
}

const rowOk = (row: Row) => row.starterOk && row.solutionOk && (row.fixtures ?? []).every((fixture) => fixture.ok);

/** Runs the self-test; `say` gets the progress, the table and the problems, for people. */
export async function runDevCheck(options: DevCheckOptions): Promise<DevCheckReport> {
  const say = options.say ?? (() => undefined);
  const began = Date.now();
  const paths = labPaths(KIT_ROOT, KIT_ROOT);
  const manifest = loadManifest(paths);
  const labs = manifest.labs.filter((lab) => lab.available && (!options.labs || options.labs.includes(lab.id)));
  // Every fixture must load, whatever runs: a broken one is a broken lab.
  for (const lab of labs) loadFixtures(lab);
  let ok = true;

  // The first lab starts from solutions/start: it must be the shop exactly as shipped in services/.
  const drift = compareTrees(manifest.startDir, paths.services);
  const start = isSameTree(drift)
    ? `${relative(KIT_ROOT, manifest.startDir)} matches services/ ✔`
    : `${relative(KIT_ROOT, manifest.startDir)} differs from services/ ✘ (only in start: ${drift.onlyInA.join(', ') || '-'}; only in services: ${drift.onlyInB.join(', ') || '-'}; changed: ${drift.changed.join(', ') || '-'}) — copy services/ to it, and carry the change into every solution`;
  say(`labs self-test: ${labs.map((lab) => lab.id).join(', ')}\n${start}`);
  if (!isSameTree(drift)) ok = false;

  const rows: Row[] = [];
  const skipped: Partial<Record<RuntimeKind, string>> = {};
  for (const runtime of options.runtimes) {
    const available = await (await driverFor(runtime)).availability();
    if (!available.ok) {
      skipped[runtime] = available.problem ?? `the ${runtime} runtime is not available here`;
      continue;
    }
    const everyEarlierLab = options.earlierLabRuntimes?.includes(runtime) ?? true;
    for (const lab of labs) {
      say(color.dim(`  ${runtime}: lab ${lab.id}…`));
      // A run of the whole path still proves the last solution against every lab, once.
      const withEarlierLabs = everyEarlierLab || ((options.wholePath ?? !options.labs) && lab === labs.at(-1));
      const row = await testLab(manifest, lab, runtime, options.fixtureRuntimes.includes(runtime), withEarlierLabs, options.fixtureJobs ?? 1, (line) => say(color.dim(line)));
      rows.push(row);
      say(color.dim(`  ${runtime}: lab ${lab.id}: starter ${row.starter}; solution ${row.solution} (${row.seconds} s)`));
      if (!rowOk(row)) ok = false;
    }
  }

  const mark = (good: boolean, text: string) => (good ? color.green(`✔ ${text}`) : color.red(`✘ ${text}`));
  const header = ['LAB'];
  for (const runtime of options.runtimes) header.push(`${runtime.toUpperCase()}: STARTER (must fail)`, 'SOLUTION (must pass, + earlier labs)', 'FAKES (must fail)', 'VARIANTS (must pass)', 'TIME');
  const lines = [header.map(color.bold)];
  const fixtureCell = (row: Row, kind: Fixture['kind']) => {
    if (!row.fixtures) return color.dim('not run here');
    const of = row.fixtures.filter((fixture) => fixture.kind === kind);
    if (of.length === 0) return color.yellow('none');
    const good = of.filter((fixture) => fixture.ok).length;
    return mark(good === of.length, `${good}/${of.length} ${kind === 'fake' ? 'fail' : 'pass'}`);
  };
  for (const lab of labs) {
    const line = [lab.id];
    for (const runtime of options.runtimes) {
      const row = rows.find((candidate) => candidate.lab === lab.id && candidate.runtime === runtime);
      if (!row) line.push(color.yellow(`skipped: ${skipped[runtime] ?? 'not run'}`), '', '', '', '');
      else line.push(mark(row.starterOk, row.starterShort), mark(row.solutionOk, row.solution), fixtureCell(row, 'fake'), fixtureCell(row, 'variant'), `${row.seconds} s`);
    }
    lines.push(line);
  }
  say(`\n${table(lines)}`);
  for (const row of rows) say(color.dim(`  ${row.runtime} lab ${row.lab} starter: ${row.starter}`));
  for (const row of rows) for (const detail of row.details) say(color.red(`  ${row.runtime} ${detail}`));
  const seconds = Math.round((Date.now() - began) / 1000);
  say(ok ? color.green(`\nlabs self-test passed (${seconds} s)`) : color.red(`\nlabs self-test FAILED (${seconds} s)`));
  return { schema: 'tall-dev-check/1', ok, start, rows, skipped, seconds };
}

export function writeReport(file: string, report: DevCheckReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2));
}
