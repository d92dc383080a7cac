/** How a check run reads for a person: progress lines while it runs, ✔ / ✘ per check, a summary and what to do next. */
import { relative } from 'node:path';
import { color } from '../cli/output.js';
import type { Lab, Manifest } from './manifest.js';
import { statusOf, type Progress } from './progress.js';
import type { CheckResult, EnvironmentResult, LabResult, RunEvent } from './runner.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A path as the learner should type it: relative to where they are when that is shorter, else absolute. */
export function shownPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere && !fromHere.startsWith('..') ? fromHere : path;
}

export function labHeading(lab: Lab, runtime: string): string {
  return color.bold(`Lab ${lab.id} · ${lab.title}`) + color.dim(`  (${runtime} runtime)`);
}

/** Prints progress as the run goes; returns the printer. */
export function progressPrinter(root: string, verbose: boolean): (event: RunEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'copying':
        console.log(color.dim(`  copying your services/ to ${shownPath(event.to)} (a throwaway copy: your own platform is not touched)`));
        break;
      case 'starting':
        if (event.environments.length) console.log(color.dim(`  starting a throwaway platform${event.environments.length > 1 ? `: ${event.environments.join(', ')}` : ''} on free ports…`));
        break;
      case 'started':
        printEnvironment(event.environment);
        break;
      case 'check-finished':
        printCheck(event.result, verbose);
        break;
      case 'stopping':
        break;
      default:
        break;
    }
  };
}

function printEnvironment(env: EnvironmentResult): void {
  const name = env.name === 'default' ? 'your shop' : `environment "${env.name}"`;
  if (env.started) {
    // Started where the lab expects a refusal: not an error of the platform; the check that uses it says what it means.
    const expected = env.expectStartFailure ? '; this lab expects it to refuse to start, and the checks say what that means' : '';
    console.log(color.dim(`  ${name} is up (${seconds(env.startMs)}, router ${env.routerUrl})${expected}`));
    return;
  }
  if (env.expectStartFailure) {
    console.log(color.dim(`  ${name} refused to start, as this lab expects (${seconds(env.startMs)})`));
    return;
  }
  if (env.name !== 'default') {
    console.log(color.dim(`  ${name} did not start (${seconds(env.startMs)}); the checks that use it will say what that means`));
    return;
  }
  console.log(`${color.red('✘')} your shop did not start on the platform (${seconds(env.startMs)})`);
  for (const line of describeFailure(env)) console.log(`    ${line}`);
}

export function describeFailure(env: EnvironmentResult): string[] {
  const failure = env.failure;
  if (!failure) return ['(no reason recorded)'];
  const lines = failure.reason.split('\n');
  if (failure.logTail.length) {
    lines.push(`last log lines of ${failure.instance ?? failure.service}:`);
    lines.push(...failure.logTail.slice(-15).map((line) => `  | ${line}`));
  }
  return lines;
}

function printCheck(result: CheckResult, verbose: boolean): void {
  const time = color.dim(seconds(result.durationMs));
  if (result.status === 'passed') {
    console.log(`${color.green('✔')} ${result.title} ${time}`);
    if (verbose && result.message) console.log(color.dim(`    ${result.message}`));
  } else if (result.status === 'failed') {
    console.log(`${color.red('✘')} ${result.title} ${time}`);
    for (const line of (result.message ?? '').split('\n')) console.log(`    ${line}`);
  } else {
    console.log(`${color.yellow('-')} ${result.title} ${color.dim(`(${result.message ?? 'skipped'})`)}`);
  }
  if (verbose) for (const note of result.notes) console.log(color.dim(`    · ${note}`));
}

/** The closing lines: score, time, and the one next step. */
export function printSummary(result: LabResult, lab: Lab, manifest: Manifest, root: string, progress?: Progress): void {
  const { passed, failed, skipped } = result.summary;
  const total = passed + failed + skipped;
  console.log('');
  const line = `${passed}/${total} checks passed · ${result.points.earned}/${result.points.possible} points · ${seconds(result.durationMs)}`;
  if (result.interrupted) {
    console.log(color.yellow(`interrupted: ${line}. Nothing was recorded.`));
    return;
  }
  const refused = result.environments.filter((env) => !env.started && env.expectStartFailure).map((env) => `"${env.name}"`);
  if (refused.length) console.log(color.dim(`${refused.length === 1 ? `environment ${refused[0]}` : `environments ${refused.join(', ')}`} refused to start, as this lab expects`));
  if (result.ok) {
    console.log(color.green(`✔ lab ${lab.id} done! ${line}`));
    for (const next of afterLab(manifest, lab, progress)) console.log(next);
    return;
  }
  console.log(color.red(`✘ ${line}`));
  const first = result.checks.find((check) => check.status === 'failed');
  if (!result.platform.started) {
    console.log(`next: fix what stops the shop from starting (above), then run "npx tall check ${lab.id}" again.`);
    console.log(`      "npx tall up" shows the same error; "npx tall diff ${lab.id}" compares your services/ with the solution.`);
  } else if (first) {
    console.log(`next: fix "${first.title}" first. "npx tall hint" gives a hint for it; "npx tall check" runs the checks again.`);
  }
  console.log(color.dim(`      the throwaway platform's state and logs stay in ${shownPath(result.workspace)} until the next check`));
}

/** "00–03": the ids of the labs written so far, as a range when they follow each other. */
export function writtenSoFar(manifest: Manifest): string {
  const ids = manifest.labs.filter((lab) => lab.available).map((lab) => lab.id);
  if (ids.length <= 2) return ids.join(' and ');
  const consecutive = ids.every((id, index) => index === 0 || Number(id) === Number(ids[index - 1]) + 1);
  return consecutive ? `${ids[0]}–${ids.at(-1)}` : ids.join(', ');
}

/**
 * What to do once `lab` is done: the next lab that is written (with its README and the command), or — when the labs after
 * it are not written yet — that this was the last lab written so far, which lab comes next, and what to do meanwhile.
 */
export function afterLab(manifest: Manifest, lab: Lab, progress?: Progress): string[] {
  const following = manifest.labs.slice(lab.index + 1);
  if (following.length === 0) return ['that was the last lab of the path. Well done.'];
  const next = following.find((candidate) => candidate.available);
  const unwritten = following[0]!.available ? undefined : following[0]!;
  if (next) {
    return [
      ...(unwritten ? [`lab ${unwritten.id} · ${unwritten.title} is not written yet; the next lab that is:`] : []),
      `next: lab ${next.id} · ${next.title}`,
      `      read ${shownPath(next.readme)}, then run "npx tall check" (or "npx tall watch")`,
    ];
  }
  const open = progress ? manifest.labs.filter((candidate) => candidate.available && candidate.id !== lab.id && !['done', 'solved'].includes(statusOf(progress, candidate))) : [];
  return [
    open.length
      ? `that was the last lab written so far (${writtenSoFar(manifest)}); not done yet: ${open.map((candidate) => `lab ${candidate.id}`).join(', ')} ("npx tall check ${open[0]!.id}").`
      : `you have done every lab written so far (${writtenSoFar(manifest)}).`,
    `next: lab ${unwritten!.id} · ${unwritten!.title} — not written yet.`,
    '      until it is, "npx tall labs" shows your path, and your shop is yours to try the platform on:',
    '      "npx tall up", "npx tall scale catalog 3", "npx tall kill catalog/1", "npx tall events -f"',
  ];
}
