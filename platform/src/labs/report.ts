/** How a check run reads for a person: progress lines while it runs, ✔ / ✘ per check, a summary and what to do next. */
import { relative } from 'node:path';
import { color } from '../cli/output.js';
import type { Lab } from './manifest.js';
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
    console.log(color.dim(`  ${name} is up (${seconds(env.startMs)}, router ${env.routerUrl})`));
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
export function printSummary(result: LabResult, lab: Lab, next: Lab | undefined, root: string): void {
  const { passed, failed, skipped } = result.summary;
  const total = passed + failed + skipped;
  console.log('');
  const line = `${passed}/${total} checks passed · ${result.points.earned}/${result.points.possible} points · ${seconds(result.durationMs)}`;
  if (result.interrupted) {
    console.log(color.yellow(`interrupted: ${line}. Nothing was recorded.`));
    return;
  }
  if (result.ok) {
    console.log(color.green(`✔ lab ${lab.id} done! ${line}`));
    if (next) {
      const readme = shownPath(next.readme);
      console.log(`next: lab ${next.id} · ${next.title}\n      read ${readme}${next.available ? ', then run "npx tall check" (or "npx tall watch")' : ' (not written yet)'}`);
    } else {
      console.log('that was the last lab. Well done.');
    }
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
  console.log(color.dim(`      the checked copy and its logs stay in ${shownPath(result.workspace)} until the next check`));
}
