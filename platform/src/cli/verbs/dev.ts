import type { Command } from 'commander';
import { runDevCheck, writeReport } from '../../labs/dev-check.js';
import { RUNTIME_KINDS, isRuntimeKind } from '../../runtimes/registry.js';
import type { RuntimeKind } from '../../runtimes/runtime.js';
import { CliError, printJson } from '../output.js';
import { registerNewLab } from './new-lab.js';

/** "process", "docker" or "both" → the runtimes, in the order the table shows them. */
function runtimesOf(value: string): RuntimeKind[] {
  if (value === 'both' || value === 'all') return ['process', 'docker'];
  const kinds = value.split(',').map((kind) => kind.trim());
  const wrong = kinds.filter((kind) => !isRuntimeKind(kind));
  if (wrong.length) throw new CliError(`unknown runtime ${wrong.join(', ')}`, `use ${RUNTIME_KINDS.join(', ')} or both`, 2);
  return kinds as RuntimeKind[];
}

/** The verbs for whoever writes or changes a lab (rustlings' `dev check` and `dev new`). */
export function registerDev(program: Command): void {
  const dev = program.command('dev').description('for lab authors: check every lab against its starter, solution, fakes and variants; start a new lab');
  dev
    .command('check')
    .description('the labs self-test: each lab fails on its starting state and on its fakes, and passes on its solution (with every earlier lab) and its valid variants')
    .argument('[labs...]', 'lab numbers, e.g. 01 02 (default: every lab that has checks)')
    .option('--runtime <kinds>', 'process, docker or both (docker is skipped, with the reason, when no engine answers)', 'both')
    .option('--fixtures-runtime <kinds>', 'where fakes and variants run: process, docker, both or none', 'process')
    .option('--earlier-labs-runtime <kinds>', 'where every solution also passes every earlier lab\'s checks (elsewhere only the last lab\'s solution does): process, docker, both or none', 'both')
    .option('--whole-path', 'the last of the labs given: its solution also passes every earlier lab\'s checks (as when every lab runs)')
    .option('--fixture-jobs <n>', 'fakes and variants checked side by side, each in a session of its own', (value: string) => Math.max(1, Number.parseInt(value, 10) || 1), 1)
    .option('--json', 'print the report as JSON (schema tall-dev-check/1) instead of the table')
    .option('--report <file>', 'also write the JSON report to this file')
    .action(async (labs: string[], options: { runtime: string; fixturesRuntime: string; earlierLabsRuntime: string; wholePath?: boolean; fixtureJobs: number; json?: boolean; report?: string }) => {
      const report = await runDevCheck({
        runtimes: runtimesOf(options.runtime),
        fixtureRuntimes: options.fixturesRuntime === 'none' ? [] : runtimesOf(options.fixturesRuntime),
        earlierLabRuntimes: options.earlierLabsRuntime === 'none' ? [] : runtimesOf(options.earlierLabsRuntime),
        fixtureJobs: options.fixtureJobs,
        labs: labs.length ? labs.map((id) => id.padStart(2, '0')) : undefined,
        wholePath: options.wholePath,
        say: options.json ? undefined : (line) => console.log(line),
      });
      if (options.report) writeReport(options.report, report);
      if (options.json) printJson(report);
      if (!report.ok) process.exitCode = 1;
    });
  registerNewLab(dev);
}
