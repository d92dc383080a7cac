// An environment a lab expects to refuse to start (EnvironmentRequest.expectStartFailure) is reported as expected — in
// the progress lines and in the summary — never as a failure of the shop or the platform.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { progressPrinter } from '../../src/labs/report.js';
import { TallSandbox } from '../support/tall-cli.js';
import { CHECK_API, miniLabKit } from './mini-kit.js';

const MANIFEST = `labs:
  - { id: "00", slug: demo, title: A demo lab, topic: testing, feature: none, start_timeout: 60s }
`;

// "refuses" must not start (echo exits at once with CRASH_AT_START=yes); "unexpected" is the same, but nobody said so.
const CHECKS = `import { defineChecks, fail } from '${CHECK_API}';
export default defineChecks({
  environments: {
    refuses: { only: ['echo'], variables: { CRASH_AT_START: 'yes' }, expectStartFailure: true },
    unexpected: { only: ['echo'], variables: { CRASH_AT_START: 'yes' } },
  },
  checks: [
    { name: 'refuses', title: 'echo refuses to start when told to', points: 1, timeout: '10s',
      async run(ctx) {
        if (ctx.environment('refuses').started) fail('it started');
      } },
  ],
});
`;

describe('an environment the lab expects to refuse to start', () => {
  const root = miniLabKit('tall-refusal-', MANIFEST, { '00-demo': CHECKS });
  const tall = new TallSandbox(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('tall check: "refused to start, as this lab expects" while it runs and in the summary; an unexpected refusal still reads as one', async () => {
    const run = await tall.run(['check', '00', '--runtime', 'process']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ {2}environment "refuses" refused to start, as this lab expects \(\d+\.\d s\)$/m);
    expect(run.stdout).not.toMatch(/"refuses" did not start/);
    expect(run.stdout).toMatch(/environment "unexpected" did not start/);
    expect(run.stdout).toMatch(/^environment "refuses" refused to start, as this lab expects\n✔ lab 00 done!/m);
    expect(run.stdout).not.toMatch(/"unexpected" refused/);
  });

  it('the progress printer: an expected refusal is a quiet line; an environment that starts anyway is shown up, with what the lab expected', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(String(line)));
    const print = progressPrinter('/', false);
    print({ type: 'started', environment: { name: 'no-key', started: false, startMs: 800, expectStartFailure: true, failure: { reason: 'payment/1 exited with code 1 while starting', logTail: ['PAYMENT_API_KEY is not set'] } } });
    print({ type: 'started', environment: { name: 'no-key-2', started: true, startMs: 900, routerUrl: 'http://127.0.0.1:1234', expectStartFailure: true } });
    expect(lines).toEqual([
      '  environment "no-key" refused to start, as this lab expects (0.8 s)',
      '  environment "no-key-2" is up (0.9 s, router http://127.0.0.1:1234); this lab expects it to refuse to start, and the checks say what that means',
    ]);
  });
});
