import type { Command } from 'commander';
import { relative } from 'node:path';
import { openWorkspace, pickLab } from '../../labs/cli-support.js';
import { labProgress } from '../../labs/progress.js';
import { afterLab } from '../../labs/report.js';
import { RefusedError, replaceServices, type ReplaceResult } from '../../labs/solve-reset.js';
import { CliError, color, printJson } from '../output.js';

export function registerSolve(program: Command): void {
  program
    .command('solve')
    .description("fast-forward: put a lab's solution into services/ (your work is snapshotted first) so you can go on to the next lab")
    .argument('<lab>', 'lab number, e.g. 02')
    .option('--force', 'even over changes git has not saved (they are still snapshotted)')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, options: { force?: boolean; json?: boolean }) => {
      const workspace = openWorkspace();
      const lab = pickLab(workspace, ref, { verb: 'solve' });
      let result: ReplaceResult;
      try {
        result = await replaceServices(workspace.paths, lab.solutionDir, `the solution of lab ${lab.id}`, { force: Boolean(options.force), reason: `before-solve-${lab.id}`, command: `npx tall solve ${lab.id}` });
      } catch (error) {
        if (error instanceof RefusedError) throw new CliError(error.message, error.fix);
        throw new CliError((error as Error).message);
      }
      const entry = labProgress(workspace.progress, lab);
      if (entry.status !== 'done') entry.status = 'solved';
      entry.solvedAt = new Date().toISOString();
      const next = workspace.manifest.labs.slice(lab.index + 1).find((candidate) => candidate.available);
      workspace.progress.current = next?.id ?? lab.id;
      workspace.save();
      if (options.json) return printJson({ lab: lab.id, action: 'solve', snapshot: result.snapshot.id, written: result.written, removed: result.removed, needsInstall: result.needsInstall, current: workspace.progress.current });
      printReplaced(result, workspace.paths.workRoot, `services/ now holds the solution of lab ${lab.id}`);
      if (next) console.log(`next: lab ${next.id} — "npx tall labs" shows the path; "npx tall check ${lab.id}" proves the solution passes.`);
      else for (const line of afterLab(workspace.manifest, lab, workspace.progress)) console.log(line);
    });
}

export function printReplaced(result: ReplaceResult, root: string, headline: string): void {
  console.log(color.green(`✔ ${headline}: ${result.written.length} file${result.written.length === 1 ? '' : 's'} written, ${result.removed.length} removed`));
  for (const file of result.written) console.log(color.dim(`  written  services/${file}`));
  for (const file of result.removed) console.log(color.dim(`  removed  services/${file}`));
  console.log(`your previous services/ is in ${relative(root, result.snapshot.services)}  (bring it back: npx tall reset --snapshot ${result.snapshot.id})`);
  if (result.work.kind === 'unknown') console.log(color.yellow(`note: could not ask git about unsaved work (${result.work.why}); the snapshot above has it`));
  if (result.needsInstall.length) console.log(color.yellow(`dependencies changed (${result.needsInstall.join(', ')}): run "npm install" before starting the shop`));
  console.log('a running platform still runs the old code: restart it with "npx tall down && npx tall up"');
}
