/** `tall check --all [--summary FILE] [--json-file FILE] [--strict]`: every lab with checks, one after the other (e.g. in CI). */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { RuntimeKind } from '../../runtimes/runtime.js';
import { AllLabsRun, labsWithChecks } from '../../labs/check-all.js';
import { checkAllReport, renderCheckSummary, type CheckAllReport } from '../../labs/check-summary.js';
import { chooseRuntime, openWorkspace, tolerateStrayRejections } from '../../labs/cli-support.js';
import { onInterrupt } from '../../labs/interrupt.js';
import { recordRun } from '../../labs/progress.js';
import { labHeading, progressPrinter, shownPath } from '../../labs/report.js';
import type { LabResult } from '../../labs/runner.js';
import { CliError, color, printJson } from '../output.js';

export interface CheckAllOptions {
  all?: boolean;
  summary?: string;
  jsonFile?: string;
  strict?: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function checkAll(ref: string | undefined, options: CheckAllOptions & { runtime?: RuntimeKind; verbose?: boolean; json?: boolean }): Promise<void> {
  if (!options.all) throw new CliError('--summary, --json-file and --strict go with --all', 'e.g. "npx tall check --all --summary summary.md"', 2);
  if (ref !== undefined) throw new CliError(`--all checks every lab: name no lab ("${ref}")`, `"npx tall check ${ref}" checks that lab alone`, 2);
  const workspace = openWorkspace();
  const { paths, manifest } = workspace;
  const labs = labsWithChecks(manifest);
  if (labs.length === 0) throw new CliError('no lab has checks yet: there is nothing to check');
  const runtime = await chooseRuntime(options.runtime, paths);
  const quiet = Boolean(options.json);
  const run = new AllLabsRun({ paths, runtime, source: paths.services, manifest, onEvent: quiet ? undefined : progressPrinter(paths.workRoot, Boolean(options.verbose)) });
  tolerateStrayRejections();
  const release = onInterrupt(() => run.interrupt(), quiet);
  try {
    await run.run(labs, {
      starting: (lab) => {
        if (!quiet) console.log(`${run.results.length ? '\n' : ''}${labHeading(lab, runtime)}`);
      },
      finished: (lab, result) => {
        recordRun(workspace.progress, manifest, lab, result);
        workspace.save();
        if (!quiet) console.log(labLine(result));
      },
      closing: () => {
        if (!quiet) process.stdout.write(color.dim('  stopping the throwaway platform…'));
      },
      closed: () => {
        if (!quiet) process.stdout.write(color.dim(' done\n'));
      },
    });
  } catch (error) {
    // The tooling crashed: whatever was checked still reaches the summary, and the run fails (never passes as "complete").
    if (options.summary) appendFileSync(options.summary, renderCheckSummary(checkAllReport(run.results), { problem: (error as Error).message ?? String(error) }));
    throw error;
  } finally {
    release();
  }
  const report = checkAllReport(run.results, run.interrupted && run.results.length < labs.length);
  if (options.summary) appendFileSync(options.summary, renderCheckSummary(report));
  if (options.jsonFile) writeFileSync(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  if (options.json) printJson(report);
  else printTotal(report, labs.length, options);
  process.exitCode = report.interrupted ? 130 : options.strict && !report.labs.every((lab) => lab.ok) ? 1 : 0;
}

function labLine(result: LabResult): string {
  const { passed, failed, skipped } = result.summary;
  const line = `  ${passed}/${passed + failed + skipped} checks passed · ${result.points.earned}/${result.points.possible} points · ${seconds(result.durationMs)}`;
  if (result.interrupted) return color.yellow(`${line} (interrupted)`);
  return result.ok ? color.green(`✔${line.slice(1)}`) : color.red(`✘${line.slice(1)}`);
}

function printTotal(report: CheckAllReport, labCount: number, options: CheckAllOptions): void {
  const passing = report.labs.filter((lab) => lab.ok).length;
  console.log('');
  const line = `${passing} of ${labCount} labs pass every check · ${report.points.earned}/${report.points.possible} points`;
  console.log(report.interrupted ? color.yellow(`interrupted: ${line} (of the labs checked). Nothing was recorded for the lab in progress.`) : color.bold(line));
  if (options.summary) console.log(color.dim(`summary appended to ${shownPath(options.summary)}`));
  if (options.jsonFile) console.log(color.dim(`JSON written to ${shownPath(options.jsonFile)}`));
  if (!report.interrupted && passing < report.labs.length) console.log('"npx tall check NN" shows a lab\'s checks in full; "npx tall hint NN" gives a hint for its first failing check.');
}
