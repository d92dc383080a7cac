import type { Command } from 'commander';
import { openWorkspace } from '../../labs/cli-support.js';
import { currentLab, statusOf } from '../../labs/progress.js';
import { afterLab } from '../../labs/report.js';
import { color, printJson, table } from '../output.js';

const marks = { done: color.green('✔'), solved: color.cyan('⤳'), started: color.yellow('◐'), 'not started': '○' } as const;

export function registerLabs(program: Command): void {
  program
    .command('labs')
    .description('the lab path with your progress: done, solved, started or not started, and which lab is current')
    .option('--json', 'print as JSON')
    .action((options: { json?: boolean }) => {
      const { manifest, progress } = openWorkspace();
      const current = currentLab(progress, manifest);
      if (options.json) {
        return printJson({
          current: current.id,
          labs: manifest.labs.map((lab) => ({
            id: lab.id, slug: lab.slug, title: lab.title, available: lab.available, status: statusOf(progress, lab),
            attempts: progress.labs[lab.id]?.attempts ?? 0, points: progress.labs[lab.id]?.last?.points,
          })),
        });
      }
      const rows = [['', '', 'LAB', 'STATUS', 'POINTS'].map(color.bold)];
      for (const lab of manifest.labs) {
        const status = statusOf(progress, lab);
        const last = progress.labs[lab.id]?.last?.points;
        rows.push([
          lab.id === current.id ? color.bold('→') : '',
          lab.available ? marks[status] : color.dim('·'),
          lab.available ? `${lab.id} ${cut(lab.title)}` : color.dim(`${lab.id} ${cut(lab.title)}`),
          lab.available ? status : color.dim('not written yet'),
          last ? `${last.earned}/${last.possible}` : '',
        ]);
      }
      console.log(table(rows));
      if (['done', 'solved'].includes(statusOf(progress, current)) && !manifest.labs.slice(current.index + 1).some((lab) => lab.available)) {
        // the last lab written so far is behind the learner: say so, and what comes (not "check lab 03" again)
        console.log(`\n${afterLab(manifest, current, progress).join('\n')}`);
        return;
      }
      console.log(`\ncurrent: lab ${current.id} · labs/${current.id}-${current.slug}/README.md`);
      console.log('next: npx tall check   ·   npx tall watch   ·   npx tall hint');
    });
}

function cut(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
