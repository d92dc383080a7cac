// `tall check` end to end, on the platform's own test system (fixtures/mini): a throwaway platform on free ports,
// checks with time limits, the --json result, progress, a shop that does not start, bad lab numbers.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTree } from '../../src/labs/tree.js';
import type { LabResult } from '../../src/labs/runner.js';
import { MINI, REPO, TallSandbox } from '../support/tall-cli.js';

const CHECK_API = pathToFileURL(join(REPO, 'platform/src/labs/check-api.ts')).href;

const MANIFEST = `labs:
  - id: "00"
    slug: demo
    title: A demo lab
    topic: testing
    feature: none
    start_timeout: 60s
  - { id: "01", slug: later, title: Not written yet, topic: t, feature: none }
`;

const CHECKS = `import { defineChecks, fail } from '${CHECK_API}';
export default defineChecks({
  environments: { staging: { name: 'staging' }, other: { config: 'default' } },
  checks: [
    { name: 'echo-answers', title: 'echo answers through the router', points: 2, timeout: '10s', hints: ['first hint', 'second hint'],
      async run(ctx) {
        const answer = await ctx.http.get('/echo/');
        if ((answer.json as { greeting?: string }).greeting !== 'hello') fail('expected the greeting "hello", saw ' + answer.text);
        return 'answered by ' + answer.instance;
      } },
    { name: 'never-answers', title: 'a request that never comes back', points: 1, timeout: '1s', hints: ['it is the service'],
      async run(ctx) { await ctx.http.get('/echo/sleep?ms=60000', { timeoutMs: 60000 }); } },
    { name: 'three-echoes', title: 'three echo instances', points: 1, timeout: '10s',
      async run(ctx) {
        const echo = (await ctx.services()).find((s) => s.name === 'echo');
        if (echo?.desired !== 3) fail('echo runs ' + echo?.desired + ' instances; expected 3');
      } },
    { name: 'staging-greets', title: 'staging has its own greeting', points: 1, timeout: '10s',
      async run(ctx) {
        const answer = await ctx.environment('staging').http.get('/echo/');
        if ((answer.json as { greeting?: string }).greeting !== 'hello-from-staging') fail('staging said ' + answer.text);
      } },
    { name: 'neutral-name', title: 'an environment the lab did not name gets a neutral name', points: 1, timeout: '10s',
      async run(ctx) {
        const env = ((await ctx.environment('other').http.get('/echo/')).json as { env?: string }).env;
        if (!/^env-[0-9a-f]{6}$/.test(String(env))) fail('TALL_ENV is ' + env);
        return String(env);
      } },
    ...[false, true].map((allowRouterFaults) => ({
      name: allowRouterFaults ? 'repaired-allowed' : 'repaired-by-router', title: 'answers while an instance is frozen', points: 1, timeout: '20s', allowRouterFaults,
      async run(ctx) {
        const frozen = (await ctx.instances('echo'))[0];
        await ctx.signal(frozen, 'SIGSTOP');
        try {
          for (let i = 0; i < 4; i++) if ((await ctx.http.get('/echo/', { timeoutMs: 8000 })).status !== 200) fail('a request failed');
        } finally {
          await ctx.signal(frozen, 'SIGCONT');
        }
        await ctx.waitFor('the frozen instance to answer again', async () => (await ctx.instances('echo')).every((i) => i.ready && !i.ejected), 20000);
      },
    })),
  ],
});
`;

function kit(): string {
  const root = mkdtempSync(join(tmpdir(), 'tall-labkit-'));
  copyTree(join(MINI, 'services'), join(root, 'services'));
  mkdirSync(join(root, 'labs', '00-demo'), { recursive: true });
  writeFileSync(join(root, 'labs', 'manifest.yaml'), MANIFEST);
  // as in the kit: checks.ts files are ES modules
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(root, 'labs', '00-demo', 'checks.ts'), CHECKS);
  return root;
}

/** Control planes still recorded as running under a folder (state.json files left behind). */
function leftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('state.json'));
}

describe('tall check', () => {
  const root = kit();
  const tall = new TallSandbox(root);
  let result: LabResult & { schema: string };
  let code: number;

  beforeAll(async () => {
    const run = await tall.run(['check', '00', '--runtime', 'process', '--json']);
    code = run.code;
    result = JSON.parse(run.stdout) as typeof result;
  });

  it('runs every check against a throwaway platform and reports each with its verdict, points and time', () => {
    expect(code).toBe(1);
    expect(result).toMatchObject({ schema: 'tall-check/1', lab: { id: '00', slug: 'demo' }, runtime: 'process', ok: false, platform: { name: 'default', started: true } });
    expect(result.environments).toMatchObject([{ name: 'staging', started: true }, { name: 'other', started: true }]);
    expect(result.checks.map((check) => [check.name, check.status, check.points, check.maxPoints])).toEqual([
      ['echo-answers', 'passed', 2, 2],
      ['never-answers', 'failed', 0, 1],
      ['three-echoes', 'failed', 0, 1],
      ['staging-greets', 'passed', 1, 1],
      ['neutral-name', 'passed', 1, 1],
      ['repaired-by-router', 'failed', 0, 1],
      ['repaired-allowed', 'passed', 1, 1],
    ]);
    expect(result.checks[0]!.message).toMatch(/^answered by echo\/\d$/);
    expect(result.checks[2]!.message).toBe('echo runs 2 instances; expected 3');
    expect(result.points).toEqual({ earned: 5, possible: 8 });
    expect(result.summary).toEqual({ passed: 4, failed: 3, skipped: 0 });
  });

  it('a check that passes only because the router retried or hedged the requests a service broke fails, unless it caused that itself', () => {
    expect(result.checks[5]!.message).toMatch(/^the router had to step in during this check \(hedge ×\d+.*\) — e\.g\. "hedge echo \(echo\/\d\): /);
  });

  it('a check that gets no answer fails at its time limit with a reason, and the run goes on', () => {
    const hung = result.checks[1]!;
    expect(hung.timeoutMs).toBe(1000);
    expect(hung.durationMs).toBeLessThan(3000);
    expect(hung.message).toMatch(/no verdict within 1\.0 s \(it was busy with: GET \/echo\/sleep\?ms=60000\)/);
  });

  it('tears the throwaway platform down and never touches the learner\'s own state', () => {
    expect(leftovers(join(root, '.tall', 'checks'))).toEqual([]);
    expect(leftovers(tall.stateDir)).toEqual([]);
    // The learner's services/ is checked where it is: no copy, and nothing written into it.
    expect(existsSync(join(root, '.tall', 'checks', 'slot-1', 'services'))).toBe(false);
    expect(readdirSync(join(root, 'services')).sort()).toEqual(readdirSync(join(MINI, 'services')).sort());
  });

  it('records progress, and "tall hint" gives the next hint for the first failing check', async () => {
    const labs = await tall.json<{ current: string; labs: { id: string; status: string; available: boolean; points?: { earned: number } }[] }>(['labs']);
    expect(labs.current).toBe('00');
    expect(labs.labs.map((lab) => [lab.id, lab.status, lab.available])).toEqual([['00', 'started', true], ['01', 'not started', false]]);
    expect(labs.labs[0]!.points).toEqual({ earned: 5, possible: 8 });
    const first = await tall.json<{ check: string; hint: string; hintNumber: number }>(['hint']);
    expect(first).toMatchObject({ check: 'never-answers', hint: 'it is the service', hintNumber: 1 });
    const after = await tall.json<{ hint: string | null; message: string }>(['hint']);
    expect(after.hint).toBeNull();
    expect(after.message).toMatch(/last hint.*tall diff 00/s);
  });

  it('a lab that does not exist lists the labs; one not written yet says so', async () => {
    const unknown = await tall.run(['check', '7']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no lab "7". The labs:\n\s+00\s+demo\n\s+01\s+later\s+\(not written yet\)/);
    const later = await tall.run(['check', '01']);
    expect(later.code).toBe(2);
    expect(later.stderr).toMatch(/lab 01 \(later\) is not written yet/);
  });

  it('a corrupt progress file is recreated with a warning; the command still works', async () => {
    writeFileSync(join(root, '.tall', 'progress.json'), '{ not json');
    const labs = await tall.run(['labs']);
    expect(labs.code).toBe(0);
    expect(labs.stderr).toMatch(/warning: .*progress\.json could not be read.*moved to/);
    expect(labs.stdout).toMatch(/00 A demo lab\s+not started/);
  });

  it('a shop that does not start: the failure is the start error and the service\'s last log lines; no check passes', async () => {
    writeFileSync(join(root, 'services', 'environments', 'default.env'), 'CRASH_AT_START=yes\n');
    const run = await tall.run(['check', '00', '--runtime', 'process']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✘ your shop did not start on the platform/);
    expect(run.stdout).toMatch(/echo\/\d exited with code 3 while starting/);
    expect(run.stdout).toMatch(/\| echo: refusing to start \(CRASH_AT_START=yes\)/);
    expect(run.stdout).toMatch(/0\/7 checks passed · 0\/8 points/);
    expect(leftovers(join(root, '.tall', 'checks'))).toEqual([]);
  });
});
