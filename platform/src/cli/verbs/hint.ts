import type { Command } from 'commander';
import { openWorkspace, pickLab } from '../../labs/cli-support.js';
import { labProgress } from '../../labs/progress.js';
import { loadChecks } from '../../labs/runner.js';
import { color, printJson } from '../output.js';

export function registerHint(program: Command): void {
  program
    .command('hint')
    .description('the next hint for the first check that failed in your last "tall check" of a lab (default: the current lab)')
    .argument('[lab]', 'lab number, e.g. 01')
    .option('--json', 'print as JSON')
    .action(async (ref: string | undefined, options: { json?: boolean }) => {
      const workspace = openWorkspace();
      const lab = pickLab(workspace, ref, { verb: 'hint', needsChecks: true });
      const entry = labProgress(workspace.progress, lab);
      const { checks } = await loadChecks(lab);
      const say = (text: string, extra: Record<string, unknown> = {}) => (options.json ? printJson({ lab: lab.id, message: text, ...extra }) : console.log(text));
      if (!entry.last) return say(`No check of lab ${lab.id} yet, so no failing check to hint at. Run "npx tall check ${lab.id}" first, then "npx tall hint".`);
      if (entry.last.ok) return say(`Lab ${lab.id} passed its last check: nothing to hint. "npx tall labs" shows what is next.`);
      const failing = checks.find((check) => entry.last!.checks[check.name] === 'failed');
      if (!failing) {
        return say(`In your last check of lab ${lab.id} the shop did not start, so no check ran. Run "npx tall up" to see the error and the service's log lines, fix it, then "npx tall check ${lab.id}".`);
      }
      const hints = failing.hints ?? [];
      const shown = entry.hintsShown[failing.name] ?? 0;
      if (hints.length === 0 || shown >= hints.length) {
        return say(
          `${hints.length ? `That was the last hint for "${failing.title}".` : `No hints written for "${failing.title}".`} Its message was:\n  ${(entry.last.messages[failing.name] ?? '').replace(/\n/g, '\n  ')}\n` +
            `Compare with the solution: "npx tall diff ${lab.id}" — or, if you are out of time, "npx tall solve ${lab.id}".`,
          { check: failing.name, hint: null, hintNumber: shown, hints: hints.length },
        );
      }
      entry.hintsShown[failing.name] = shown + 1;
      workspace.save();
      if (options.json) return printJson({ lab: lab.id, check: failing.name, hint: hints[shown], hintNumber: shown + 1, hints: hints.length });
      console.log(color.bold(`Lab ${lab.id} · ${failing.title}`));
      console.log(color.dim(`last time: ${(entry.last.messages[failing.name] ?? 'failed').split('\n')[0]}`));
      console.log(`\nhint ${shown + 1}/${hints.length}: ${hints[shown]}`);
      if (shown + 1 < hints.length) console.log(color.dim('\n(run "npx tall hint" again for a more precise one)'));
    });
}
