import type { Command } from 'commander';
import type { RuntimeKind } from '../../runtimes/runtime.js';
import { chooseRuntime, openWorkspace, pickLab, tolerateStrayRejections } from '../../labs/cli-support.js';
import { onInterrupt } from '../../labs/interrupt.js';
import { recordRun } from '../../labs/progress.js';
import { labHeading, printSummary, progressPrinter } from '../../labs/report.js';
import { CheckSession } from '../../labs/runner.js';
import { color, printJson } from '../output.js';
import { parseRuntime } from '../arguments.js';
import { checkAll, type CheckAllOptions } from './check-all.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description("run a lab's checks (default: the current lab) against a throwaway platform started from your services/ on free ports")
    .argument('[lab]', 'lab number, e.g. 01 (see "tall labs")')
    .option('--runtime <kind>', 'process | docker (default: the runtime your platform runs on, else what "tall up" picks)', parseRuntime)
    .option('-v, --verbose', 'also show what each passing check saw')
    .option('--json', 'print the result as JSON (documented in README.md, "Labs")')
    .option('--all', 'check every lab that has checks, in order, each on a throwaway platform of its own; exit code 0 once the run is complete, failed checks or not')
    .option('--summary <file>', 'with --all: append a Markdown summary to FILE (for GitHub Actions: "$GITHUB_STEP_SUMMARY")')
    .option('--json-file <file>', 'with --all: also write the JSON result (as --json prints it) to FILE')
    .option('--strict', 'with --all: exit code 1 unless every check of every lab passed')
    .action(async (ref: string | undefined, options: CheckAllOptions & { runtime?: RuntimeKind; verbose?: boolean; json?: boolean }) => {
      if (options.all || options.summary !== undefined || options.jsonFile !== undefined || options.strict) return checkAll(ref, options);
      const workspace = openWorkspace();
      const { paths, manifest } = workspace;
      const lab = pickLab(workspace, ref, { needsChecks: true });
      const runtime = await chooseRuntime(options.runtime, paths);
      if (!options.json) console.log(labHeading(lab, runtime));
      const session = new CheckSession({ paths, runtime, source: paths.services, manifest, onEvent: options.json ? undefined : progressPrinter(paths.workRoot, Boolean(options.verbose)) });
      tolerateStrayRejections();
      const release = onInterrupt(() => session.interrupt(), Boolean(options.json));
      let result;
      try {
        result = await session.runLab(lab);
        recordRun(workspace.progress, manifest, lab, result);
        workspace.save();
        if (options.json) printJson({ schema: 'tall-check/1', ...result });
        else printSummary(result, lab, manifest, paths.workRoot, workspace.progress);
      } finally {
        // The verdict is out; taking the throwaway platform down takes another second or two.
        if (!options.json) process.stdout.write(color.dim('  stopping the throwaway platform…'));
        await session.close();
        if (!options.json) process.stdout.write(color.dim(' done\n'));
        release();
      }
      process.exitCode = result.interrupted ? 130 : result.ok ? 0 : 1;
    });
}
