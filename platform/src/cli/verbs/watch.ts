import type { Command } from 'commander';
import type { RuntimeKind } from '../../runtimes/runtime.js';
import { chooseRuntime, openWorkspace, tolerateStrayRejections } from '../../labs/cli-support.js';
import { currentLab, recordRun } from '../../labs/progress.js';
import { labHeading, printSummary, progressPrinter } from '../../labs/report.js';
import { CheckSession } from '../../labs/runner.js';
import { startTriggers, watchingLikelyBroken } from '../../labs/watch.js';
import { color } from '../output.js';
import { parseRuntime } from '../arguments.js';

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description("re-run the current lab's checks whenever services/ changes; moves on to the next lab when one passes")
    .option('--manual', 'do not watch files: press Enter to check (for WSL on a Windows folder, network drives)')
    .option('--poll', 'watch by polling (slower, but works where file events do not arrive)')
    .option('--runtime <kind>', 'process | docker', parseRuntime)
    .option('-v, --verbose', 'also show what each passing check saw')
    .action(async (options: { manual?: boolean; poll?: boolean; runtime?: RuntimeKind; verbose?: boolean }) => {
      const workspace = openWorkspace();
      const { paths, manifest } = workspace;
      const runtime = await chooseRuntime(options.runtime, paths);
      let mode: 'watch' | 'poll' | 'manual' = options.manual ? 'manual' : options.poll ? 'poll' : 'watch';
      if (mode === 'watch' && watchingLikelyBroken(paths.services)) {
        console.log(color.yellow('services/ is on a Windows drive under WSL, where file events often do not arrive: polling instead (or use --manual)'));
        mode = 'poll';
      }
      tolerateStrayRejections();
      let session: CheckSession | undefined;
      let pending: string | undefined;
      let quitting = false;
      let stoppedBy: NodeJS.Signals | undefined;
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));

      const help = () =>
        console.log(color.dim(mode === 'manual' ? '\nedit services/, then press Enter to check · q + Enter (or Ctrl-C) to quit' : '\nwatching services/ · Enter checks now · q + Enter (or Ctrl-C) to quit'));

      const run = async (reason: string): Promise<void> => {
        if (quitting) return;
        if (session) {
          pending = reason;
          return;
        }
        const lab = currentLab(workspace.progress, manifest);
        if (!lab.available) {
          console.log(`lab ${lab.id} is not written yet: nothing to check.`);
          return;
        }
        console.log(`\n${color.dim(`── ${new Date().toLocaleTimeString()} · ${reason}`)}`);
        console.log(labHeading(lab, runtime));
        session = new CheckSession({ paths, runtime, source: paths.services, manifest, onEvent: progressPrinter(paths.workRoot, Boolean(options.verbose)) });
        try {
          const result = await session.runLab(lab);
          recordRun(workspace.progress, manifest, lab, result);
          workspace.save();
          printSummary(result, lab, manifest, paths.workRoot, workspace.progress);
          if (result.ok && currentLab(workspace.progress, manifest).id !== lab.id) {
            console.log(color.bold(`\nmoving on: lab ${currentLab(workspace.progress, manifest).id} is current now. I check it when services/ changes.`));
          } else if (result.ok) {
            console.log(color.dim(`\nlab ${lab.id} is the last lab written so far: I check it again when services/ changes.`));
          }
        } catch (error) {
          console.error(color.red(`error: ${(error as Error).message}`));
        } finally {
          await session.close();
          session = undefined;
        }
        if (quitting) return finish();
        if (pending) {
          const again = pending;
          pending = undefined;
          return run(again);
        }
        help();
      };

      const quit = (signal?: NodeJS.Signals) => {
        if (quitting && signal) process.exit(130);
        quitting = true;
        stoppedBy ??= signal;
        if (session) {
          console.error('\nstopping the checks and the throwaway platform… (Ctrl-C again to leave now)');
          session.interrupt();
        } else {
          finish();
        }
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => quit(signal));
      const triggers = startTriggers({
        dir: paths.services,
        mode,
        onTrigger: (reason) => void run(reason),
        onQuit: () => quit(),
        onWatchError: (error) => {
          console.error(color.yellow(`watching services/ failed (${error.message}). Switch to "npx tall watch --manual" (press Enter to check) or --poll.`));
        },
      });
      void run('first check');
      await done;
      await triggers.close();
      // Ctrl-C (or the terminal going away) ends watch as it ends any command: 130, after the teardown above.
      if (stoppedBy) process.exitCode = 130;
    });
}
