import type { Command } from 'commander';
import { labPaths } from '../../labs/lab-paths.js';
import { createLab, NewLabError } from '../../labs/new-lab.js';
import { ManifestError } from '../../labs/manifest.js';
import { CliError, color, printJson } from '../output.js';

export function registerNewLab(dev: Command): void {
  dev
    .command('new-lab')
    .description('start a lab: manifest entry, README and checks.ts to fill in, fixtures/, the solution from the previous lab\'s, a slide anchor')
    .argument('<id>', 'two digits, e.g. 04')
    .argument('<slug>', 'kebab-case, e.g. data-services')
    .option('--title <text>', 'what the learner does (default: the manifest\'s title, else the slug)')
    .option('--json', 'print what was made as JSON')
    .action((id: string, slug: string, options: { title?: string; json?: boolean }) => {
      let lab;
      try {
        lab = createLab(labPaths(), id, slug, options.title);
      } catch (error) {
        if (error instanceof NewLabError || error instanceof ManifestError) throw new CliError(error.message, undefined, 2);
        throw error;
      }
      if (options.json) return printJson(lab);
      console.log(color.green(`✔ lab ${lab.id} · ${lab.title}`));
      for (const line of lab.made) console.log(`  ${line}`);
      console.log(`\nnext: write the checks in labs/${lab.id}-${lab.slug}/checks.ts, the solution in solutions/${lab.id}-${lab.slug}/, a fake and a variant in labs/${lab.id}-${lab.slug}/fixtures/; then "npx tall dev check ${lab.id}"`);
    });
}
