/** What the lab verbs share: the manifest and progress of this kit, the lab a verb is about, the runtime to check on. */
import { color } from '../cli/output.js';
import { CliError } from '../cli/output.js';
import { PlatformClient } from '../control-plane/platform-client.js';
import { driverFor, pickRuntime, runtimeFromEnv } from '../runtimes/registry.js';
import type { RuntimeKind } from '../runtimes/runtime.js';
import { labPaths, type LabPaths } from './lab-paths.js';
import { describeLabs, findLab, loadManifest, ManifestError, type Lab, type Manifest } from './manifest.js';
import { currentLab, loadProgress, saveProgress, type Progress } from './progress.js';

export interface LabWorkspace {
  paths: LabPaths;
  manifest: Manifest;
  progress: Progress;
  save(): void;
}

export function openWorkspace(options: { quiet?: boolean } = {}): LabWorkspace {
  let paths: LabPaths;
  let manifest: Manifest;
  try {
    paths = labPaths();
    manifest = loadManifest(paths);
  } catch (error) {
    if (error instanceof ManifestError) throw new CliError(error.message, 'fix labs/manifest.yaml (see the comment at its top)');
    throw new CliError((error as Error).message);
  }
  const loaded = loadProgress(paths.progressFile);
  if (loaded.warning && !options.quiet) console.error(color.yellow(`warning: ${loaded.warning}`));
  return { paths, manifest, progress: loaded.progress, save: () => saveProgress(paths.progressFile, loaded.progress) };
}

/** The lab named on the command line, or the current one. A lab that does not exist → the list, as a usage error. */
export function pickLab(workspace: LabWorkspace, ref: string | undefined, options: { verb?: string; needsChecks?: boolean } = {}): Lab {
  const lab = ref === undefined ? currentLab(workspace.progress, workspace.manifest) : findLab(workspace.manifest, ref);
  if (!lab) throw new CliError(`no lab "${ref}". The labs:\n${describeLabs(workspace.manifest)}`, `name one by its number, e.g. "npx tall ${options.verb ?? 'check'} 01"`, 2);
  if (options.needsChecks && !lab.available) {
    const written = workspace.manifest.labs.filter((candidate) => candidate.available);
    throw new CliError(
      `lab ${lab.id} (${lab.slug}) is not written yet: there is nothing to check.`,
      written.length
        ? `the labs written so far, which you can do:\n${written.map((candidate) => `  ${candidate.id}  ${candidate.slug}`).join('\n')}\n"npx tall labs" shows your progress on them`
        : 'no lab is written yet',
      2,
    );
  }
  return lab;
}

/**
 * A check may leave something behind that fails after its verdict: a second request nobody awaits once the first one
 * failed, a wait that Ctrl-C cut short. Node would end the process on that rejection — with a stack trace, and before the
 * throwaway platform is torn down. While a lab verb runs, such a late failure is at most a warning, never the end.
 */
export function tolerateStrayRejections(): void {
  if (process.listenerCount('unhandledRejection') > 0) return;
  process.on('unhandledRejection', (reason: unknown) => {
    // A check's request or wait given up after its verdict (time limit or Ctrl-C): the verdict already says so.
    if ((reason as Error | undefined)?.name === 'CheckFailed') return;
    console.error(color.yellow(`warning: something a check started failed after its verdict: ${(reason as Error | undefined)?.message ?? String(reason)}`));
  });
}

/** --runtime, else TALL_RUNTIME, else the runtime of the learner's running platform, else what `tall up` would pick. */
export async function chooseRuntime(requested: RuntimeKind | undefined, paths: LabPaths): Promise<RuntimeKind> {
  const runtime = requested ?? runtimeFromEnv() ?? runningRuntime(paths) ?? (await pickRuntime());
  const available = await (await driverFor(runtime)).availability();
  if (!available.ok) throw new CliError(`--runtime ${runtime}: ${available.problem}`, `${available.fix ?? 'see "npx tall doctor"'}, or check on the process runtime: --runtime process`);
  return runtime;
}

function runningRuntime(paths: LabPaths): RuntimeKind | undefined {
  try {
    return PlatformClient.of('default', { root: paths.workRoot }).running()?.runtime;
  } catch {
    return undefined;
  }
}
