import type { Command } from 'commander';
import { openWorkspace, pickLab } from '../../labs/cli-support.js';
import { startingStateDir } from '../../labs/manifest.js';
import { findSnapshot, listSnapshots } from '../../labs/snapshots.js';
import { RefusedError, replaceServices, type ReplaceResult } from '../../labs/solve-reset.js';
import { CliError, color, printJson, table } from '../output.js';
import { printReplaced } from './solve.js';

export function registerReset(program: Command): void {
  program
    .command('reset')
    .description("put services/ back to a lab's starting state (your work is snapshotted first), or restore a snapshot")
    .argument('[lab]', 'lab number, e.g. 02 (default: the current lab)')
    .option('--snapshot [id]', 'restore a snapshot instead ("latest" for the newest); without an id, list them')
    .option('--force', 'even over changes git has not saved (they are still snapshotted)')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string | undefined, options: { snapshot?: string | boolean; force?: boolean; json?: boolean }) => {
      const workspace = openWorkspace();
      const { paths } = workspace;
      if (options.snapshot === true) {
        const all = listSnapshots(paths.snapshotsDir);
        if (options.json) return printJson({ snapshots: all.map(({ id, createdAt, reason, files }) => ({ id, createdAt, reason, files })) });
        if (all.length === 0) return console.log('no snapshots yet: "tall solve" and "tall reset" take one before they change services/');
        console.log(table([['ID', 'TAKEN', 'FILES'].map(color.bold), ...all.map((s) => [s.id, s.createdAt.replace('T', ' ').slice(0, 19), String(s.files)])]));
        return console.log('\nrestore one with: npx tall reset --snapshot <id>   (or --snapshot latest)');
      }
      const run = async (source: string, what: string, reason: string, command: string): Promise<ReplaceResult> => {
        try {
          return await replaceServices(paths, source, what, { force: Boolean(options.force), reason, command });
        } catch (error) {
          if (error instanceof RefusedError) throw new CliError(error.message, error.fix);
          throw new CliError((error as Error).message);
        }
      };
      if (typeof options.snapshot === 'string') {
        const snapshot = findSnapshot(paths.snapshotsDir, options.snapshot);
        if (!snapshot) throw new CliError(`no snapshot "${options.snapshot}"`, 'list them with: npx tall reset --snapshot', 2);
        const result = await run(snapshot.services, `snapshot ${snapshot.id}`, `before-restore`, `npx tall reset --snapshot ${snapshot.id}`);
        if (options.json) return printJson({ action: 'restore', restored: snapshot.id, snapshot: result.snapshot.id, written: result.written, removed: result.removed, needsInstall: result.needsInstall });
        return printReplaced(result, paths.workRoot, `services/ restored from snapshot ${snapshot.id}`);
      }
      const lab = pickLab(workspace, ref, { verb: 'reset' });
      const result = await run(startingStateDir(workspace.manifest, lab), `the starting state of lab ${lab.id}`, `before-reset-${lab.id}`, `npx tall reset ${lab.id}`);
      workspace.progress.current = lab.id;
      workspace.save();
      if (options.json) return printJson({ lab: lab.id, action: 'reset', snapshot: result.snapshot.id, written: result.written, removed: result.removed, needsInstall: result.needsInstall, current: lab.id });
      printReplaced(result, paths.workRoot, `services/ is back at the start of lab ${lab.id}`);
      console.log(`current lab: ${lab.id} · labs/${lab.id}-${lab.slug}/README.md`);
    });
}
