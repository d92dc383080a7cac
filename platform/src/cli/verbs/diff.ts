import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { openWorkspace, pickLab } from '../../labs/cli-support.js';
import { diffTrees } from '../../labs/diff.js';
import { CliError, color, printJson } from '../output.js';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description("your services/ against a lab's solution (default: the current lab), without node_modules and build output")
    .argument('[lab]', 'lab number, e.g. 01')
    .option('--stat', 'only the files and how many lines differ')
    .option('--json', 'print as JSON')
    .action((ref: string | undefined, options: { stat?: boolean; json?: boolean }) => {
      const workspace = openWorkspace();
      const lab = pickLab(workspace, ref, { verb: 'diff' });
      if (!existsSync(lab.solutionDir)) throw new CliError(`lab ${lab.id} has no solution yet`, 'see "npx tall labs"', 2);
      const diffs = diffTrees(workspace.paths.services, lab.solutionDir);
      if (options.json) return printJson({ lab: lab.id, same: diffs.length === 0, files: diffs });
      if (diffs.length === 0) return console.log(color.green(`✔ your services/ is the same as the solution of lab ${lab.id}`));
      console.log(color.bold(`services/ (yours, -) against solutions/${lab.id}-${lab.slug}/ (+)\n`));
      for (const diff of diffs) {
        const label = diff.kind === 'only-in-yours' ? 'only in yours' : diff.kind === 'only-in-solution' ? 'only in the solution' : 'differs';
        console.log(`${color.bold(diff.file)}  ${color.dim(`${label}, ${color.green(`+${diff.added}`)} ${color.red(`-${diff.removed}`)}`)}`);
        if (options.stat) continue;
        for (const line of diff.lines) {
          console.log(line.startsWith('@@') ? color.cyan(line) : line.startsWith('+') ? color.green(line) : line.startsWith('-') ? color.red(line) : line);
        }
        console.log('');
      }
      console.log(color.dim(`${diffs.length === 1 ? '1 file differs' : `${diffs.length} files differ`}. Take the whole solution with: npx tall solve ${lab.id}`));
    });
}
