// .github/workflows/labs.yml, the students' per-push checks: it runs `tall check --all` on the process runtime with the
// job summary, and passes only flags `tall check` has.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, TALL } from '../support/tall-cli.js';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

const workflow = parse(readFileSync(join(REPO, '.github/workflows/labs.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; 'timeout-minutes'?: number; steps: Step[] }>;
};
const jobs = Object.values(workflow.jobs);
const steps = jobs.flatMap((job) => job.steps);
const checkRuns = steps.map((step) => step.run ?? '').filter((run) => run.includes('tall check'));

describe('the labs workflow (.github/workflows/labs.yml)', () => {
  it('runs on push and pull_request, on ubuntu-latest, with a time limit', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    for (const job of jobs) {
      expect(job['runs-on']).toBe('ubuntu-latest');
      expect(job['timeout-minutes']).toBeGreaterThan(0);
    }
  });

  it('checks out, sets up Node 20 with the npm cache, installs with npm ci', () => {
    expect(steps.find((step) => step.uses === 'actions/checkout@v4')).toBeDefined();
    expect(steps.find((step) => step.uses === 'actions/setup-node@v4')?.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    expect(steps.some((step) => step.run?.trim() === 'npm ci')).toBe(true);
  });

  it('calls "npx tall check --all --runtime process" once, with --summary "$GITHUB_STEP_SUMMARY"', () => {
    expect(checkRuns).toHaveLength(1);
    expect(checkRuns[0]).toMatch(/^npx tall check --all --runtime process\b/);
    expect(checkRuns[0]).toContain('--summary "$GITHUB_STEP_SUMMARY"');
  });

  it('uploads the JSON the same call wrote as an artifact', () => {
    const jsonFile = /--json-file (\S+)/.exec(checkRuns[0]!)?.[1];
    expect(jsonFile).toBeDefined();
    expect(steps.find((step) => step.uses === 'actions/upload-artifact@v4')?.with?.path).toBe(jsonFile);
  });

  it('passes only flags "tall check --help" lists', () => {
    const help = execFileSync(process.execPath, [TALL, 'check', '--help'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const flags = checkRuns.flatMap((run) => run.match(/(?<=\s)--?[a-z][a-z-]*/g) ?? []);
    expect(flags).toEqual(expect.arrayContaining(['--all', '--runtime', '--summary']));
    for (const flag of flags) expect(help, `${flag} is not in "tall check --help"`).toMatch(new RegExp(`(^|[\\s,])${flag}(?=[\\s,])`, 'm'));
  });
});
