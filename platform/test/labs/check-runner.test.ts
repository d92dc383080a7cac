// The check runner's promises: a verdict for every check, within its time limit, with a reason when it fails.
import { describe, expect, it } from 'vitest';
import { defineChecks, fail, type Check, type CheckContext } from '../../src/labs/check-api.js';
import type { Activity } from '../../src/labs/check-context.js';
import { runCheck } from '../../src/labs/runner.js';

/** A context with nothing behind it: enough for checks that only use the signal and a fake "request". */
function fakeContext(abortSignal: AbortSignal, activity: Activity): CheckContext {
  return {
    abortSignal,
    http: {
      baseUrl: 'http://fake',
      get: async (path: string) => {
        activity.current = `GET ${path}`;
        return new Promise(() => undefined); // a service that never answers
      },
    },
  } as unknown as CheckContext;
}

const run = (check: Check, timeoutMs = 300, interrupt?: AbortSignal) => runCheck(check, { timeoutMs, points: 2, interrupt }, fakeContext);

describe('check runner', () => {
  it('a check that resolves passes, with its points and what it saw', async () => {
    const result = await run({ name: 'ok', title: 'ok', points: 2, run: async () => 'saw 3 instances' });
    expect(result).toMatchObject({ status: 'passed', points: 2, maxPoints: 2, message: 'saw 3 instances' });
  });

  it('fail() is a failure with the learner-facing message, and no points', async () => {
    const result = await run({ name: 'no', title: 'no', points: 2, hints: ['a', 'b'], run: async () => fail('GET /health answered 404; expected 200') });
    expect(result).toMatchObject({ status: 'failed', points: 0, maxPoints: 2, message: 'GET /health answered 404; expected 200', hints: 2 });
  });

  it('a check that crashes fails, saying so (never a pass)', async () => {
    const result = await run({ name: 'crash', title: 'crash', points: 2, run: async () => (undefined as unknown as { x: number }).x as never });
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/^the check itself crashed: TypeError/);
  });

  it('a check stuck on a service that never answers fails at its time limit, naming what it was waiting for', async () => {
    const started = Date.now();
    const result = await run({ name: 'hang', title: 'hang', points: 2, run: async (ctx) => void (await ctx.http.get('/catalog/health')) }, 300);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/no verdict within 0\.3 s \(it was busy with: GET \/catalog\/health\)/);
  });

  it('a check that ignores its signal still gets a verdict on time; one that listens is told to stop', async () => {
    let aborted = false;
    const ignoring = await run({ name: 'deaf', title: 'deaf', points: 2, run: () => new Promise(() => undefined) }, 200);
    expect(ignoring.status).toBe('failed');
    const listening = await run({
      name: 'listens',
      title: 'listens',
      points: 1,
      run: (ctx) => new Promise((_resolve, reject) => ctx.abortSignal.addEventListener('abort', () => {
        aborted = true;
        reject(new Error('aborted'));
      })),
    }, 200);
    expect(listening.status).toBe('failed');
    expect(listening.message).toMatch(/no verdict within/);
    expect(aborted).toBe(true);
  });

  it('an interrupt (Ctrl-C) stops the check and marks it skipped, not failed', async () => {
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 50);
    const result = await run({ name: 'long', title: 'long', points: 1, run: (ctx) => new Promise((_r, reject) => ctx.abortSignal.addEventListener('abort', () => reject(new Error('stop')))) }, 5000, interrupt.signal);
    expect(result.status).toBe('skipped');
    expect(result.message).toBe('interrupted');
  });

  it('defineChecks refuses two checks with the same name, a name that is not kebab-case, and points that are not whole', () => {
    const check: Check = { name: 'twice', title: 't', points: 1, run: async () => undefined };
    expect(() => defineChecks([check, check])).toThrow(/two checks are named "twice"/);
    expect(() => defineChecks([{ ...check, name: 'Not Kebab' }])).toThrow(/must be kebab-case/);
    expect(() => defineChecks([{ ...check, points: 1.5 }])).toThrow(/points must be a whole number/);
  });
});
