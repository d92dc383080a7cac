/**
 * The labs' self-test (rustlings' `dev check`, against a running system): for every lab N that has checks and a solution,
 *  - its starting state (the previous lab's solution, or the shop as shipped) must FAIL at least one of lab N's checks;
 *  - its solution must PASS lab N's checks and every earlier lab's checks.
 * A lab whose checks pass on an unsolved state, or fail on the solution, would wreck a classroom.
 *
 *   npx tsx platform/src/labs/self-test.ts [--runtime process|docker|both] [--labs 00,01] [--json <file>]
 *
 * With "both" (the default) the docker column says "skipped: <reason>" when no engine answers. Exit code 1 when any
 * lab breaks the rule, or when solutions/start no longer matches services/ (the shop as shipped).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { color, table } from '../cli/output.js';
import type { RuntimeKind } from './check-api.js';
import { KIT_ROOT, labPaths } from './lab-paths.js';
import { loadManifest, startingStateDir, type Lab, type Manifest } from './manifest.js';
import { CheckSession, type LabResult } from './runner.js';
import { compareTrees, isSameTree } from './tree.js';

interface Row {
  lab: string;
  runtime: RuntimeKind;
  starter: string;
  /** for the table: "fails 2/4" */
  starterShort: string;
  starterOk: boolean;
  solution: string;
  solutionOk: boolean;
  seconds: number;
  details: string[];
}

function parseArgs(argv: string[]): { runtimes: RuntimeKind[] | 'both'; labs?: string[]; json?: string } {
  const out: { runtimes: RuntimeKind[] | 'both'; labs?: string[]; json?: string } = { runtimes: 'both' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i] ?? '';
    if (arg === '--runtime') {
      const runtime = value();
      if (!['process', 'docker', 'both'].includes(runtime)) throw new Error('--runtime must be process, docker or both');
      out.runtimes = runtime === 'both' ? 'both' : [runtime as RuntimeKind];
    } else if (arg === '--labs') out.labs = value().split(',').map((id) => id.trim().padStart(2, '0'));
    else if (arg === '--json') out.json = value();
    else throw new Error(`unknown argument ${arg}`);
  }
  return out;
}

async function runSession(manifest: Manifest, runtime: RuntimeKind, source: string, labs: Lab[]): Promise<LabResult[]> {
  const paths = labPaths(KIT_ROOT, KIT_ROOT);
  const session = new CheckSession({ paths, runtime, source, manifest });
  const stop = () => session.interrupt();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const results: LabResult[] = [];
    for (const lab of labs) results.push(await session.runLab(lab));
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
async function runSessionOnce(manifest: Manifest, runtime: RuntimeKind, source: string, labs: Lab[], details: string[]): Promise<LabResult[]> {
  const first = await runSession(manifest, runtime, source, labs);
  const unstarted = first.filter((result) => !result.platform.started);
  if (unstarted.length === 0) return first;
  details.push(...unstarted.flatMap(failures).map((line) => `retried after: ${line}`));
  return runSession(manifest, runtime, source, labs);
}

async function testLab(manifest: Manifest, lab: Lab, runtime: RuntimeKind): Promise<Row> {
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
  const upTo = manifest.labs.filter((candidate) => candidate.index <= lab.index && candidate.available);
  const solved = await runSessionOnce(manifest, runtime, lab.solutionDir, upTo, details);
  const broken = solved.flatMap(failures);
  const solutionOk = broken.length === 0 && solved.every((result) => result.ok);
  const passed = solved.reduce((sum, result) => sum + result.summary.passed, 0);
  const total = solved.reduce((sum, result) => sum + result.checks.length, 0);
  const range = upTo.length > 1 ? `labs ${upTo[0]!.id}–${lab.id}` : `lab ${lab.id}`;
  details.push(...broken);
  return {
    lab: lab.id,
    runtime,
    starter: starterText,
    starterShort: !starter!.platform.started ? 'shop did not start' : failed.length > 0 ? `fails ${failed.length}/${starter!.checks.length}` : `PASSES ${starter!.checks.length}/${starter!.checks.length}`,
    starterOk,
    solution: solutionOk ? `passes ${passed}/${total} (${range})` : `fails ${total - passed}/${total} (${range})`,
    solutionOk,
    seconds: Math.round((Date.now() - started) / 1000),
    details,
  };
}

async function dockerSkipReason(): Promise<string | undefined> {
  const { dockerAvailable } = await import('../runtimes/docker/docker-runtime.js');
  const docker = await dockerAvailable();
  return docker.ok ? undefined : docker.problem ?? 'no Docker engine answers';
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const paths = labPaths(KIT_ROOT, KIT_ROOT);
  const manifest = loadManifest(paths);
  const labs = manifest.labs.filter((lab) => lab.available && (!options.labs || options.labs.includes(lab.id)));
  let ok = true;

  // The first lab starts from solutions/start: it must be the shop exactly as shipped in services/.
  const drift = compareTrees(manifest.startDir, paths.services);
  const startLine = isSameTree(drift)
    ? `${relative(KIT_ROOT, manifest.startDir)} matches services/ ✔`
    : `${relative(KIT_ROOT, manifest.startDir)} differs from services/ ✘ (only in start: ${drift.onlyInA.join(', ') || '-'}; only in services: ${drift.onlyInB.join(', ') || '-'}; changed: ${drift.changed.join(', ') || '-'}) — copy services/ to it, and carry the change into every solution`;
  console.log(`labs self-test: ${labs.map((lab) => lab.id).join(', ')}\n${startLine}`);
  if (!isSameTree(drift)) ok = false;

  const runtimes: RuntimeKind[] = options.runtimes === 'both' ? ['process', 'docker'] : options.runtimes;
  const rows: Row[] = [];
  const skipped: Partial<Record<RuntimeKind, string>> = {};
  for (const runtime of runtimes) {
    if (runtime === 'docker') {
      const reason = await dockerSkipReason();
      if (reason) {
        skipped.docker = reason;
        continue;
      }
    }
    for (const lab of labs) {
      console.log(color.dim(`  ${runtime}: lab ${lab.id}…`));
      const row = await testLab(manifest, lab, runtime);
      rows.push(row);
      console.log(color.dim(`  ${runtime}: lab ${lab.id}: starter ${row.starter}; solution ${row.solution} (${row.seconds} s)`));
      if (!row.starterOk || !row.solutionOk) ok = false;
    }
  }

  const mark = (good: boolean, text: string) => (good ? color.green(`✔ ${text}`) : color.red(`✘ ${text}`));
  const header = ['LAB'];
  for (const runtime of runtimes) header.push(`${runtime.toUpperCase()}: STARTER (must fail)`, 'SOLUTION (must pass, + earlier labs)', 'TIME');
  const lines = [header.map(color.bold)];
  for (const lab of labs) {
    const line = [lab.id];
    for (const runtime of runtimes) {
      const row = rows.find((candidate) => candidate.lab === lab.id && candidate.runtime === runtime);
      if (!row) line.push(color.yellow(`skipped: ${skipped[runtime] ?? 'not run'}`), '', '');
      else line.push(mark(row.starterOk, row.starterShort), mark(row.solutionOk, row.solution), `${row.seconds} s`);
    }
    lines.push(line);
  }
  console.log(`\n${table(lines)}`);
  for (const row of rows) console.log(color.dim(`  ${row.runtime} lab ${row.lab} starter: ${row.starter}`));
  for (const row of rows) for (const detail of row.details) console.log(color.red(`  ${row.runtime} ${detail}`));
  const totalSeconds = rows.reduce((sum, row) => sum + row.seconds, 0);
  console.log(ok ? color.green(`\nlabs self-test passed (${totalSeconds} s)`) : color.red(`\nlabs self-test FAILED (${totalSeconds} s)`));
  if (options.json) {
    mkdirSync(dirname(options.json), { recursive: true });
    writeFileSync(options.json, JSON.stringify({ ok, start: startLine, rows, skipped }, null, 2));
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(color.red(`labs self-test could not run: ${(error as Error).stack ?? error}`));
    process.exit(2);
  },
);
