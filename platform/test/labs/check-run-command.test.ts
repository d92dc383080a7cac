// ctx.run() and ctx.copyServices(): a check runs a learner's program (untrusted) with a time limit and bounded output,
// in a copy it may change, never in the learner's folder.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnvironmentHandle } from '../../src/labs/check-api.js';
import { runBounded } from '../../src/labs/bounded-command.js';
import { checkContext, removeScratch } from '../../src/labs/check-context.js';
import type { Slot } from '../../src/labs/throwaway.js';

const node = process.execPath;
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tall-run-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runBounded (ctx.run)', () => {
  it('gives the exit code and output, with the variables asked for and without the ones removed', async () => {
    process.env.TALL_TEST_REMOVE_ME = 'here';
    const run = await runBounded(node, ['-e', 'console.log(process.env.ADDED, process.env.TALL_TEST_REMOVE_ME ?? "gone"); console.error("err"); process.exit(3)'], {
      cwd: tempDir(),
      env: { ADDED: 'yes', TALL_TEST_REMOVE_ME: undefined },
    });
    delete process.env.TALL_TEST_REMOVE_ME;
    expect(run).toMatchObject({ code: 3, signal: null, timedOut: false, truncated: false });
    expect(run.stdout.trim()).toBe('yes gone');
    expect(run.stderr.trim()).toBe('err');
  });

  it('stops a program at its time limit, and whatever it started in its group with it', async () => {
    const pidFile = join(tempDir(), 'grandchild.pid');
    const started = Date.now();
    const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000);`;
    const run = await runBounded(node, ['-e', script], { cwd: tempDir(), timeoutMs: 1500 });
    expect(run.timedOut).toBe(true);
    expect(run.code).toBeNull();
    expect(run.stderr).toMatch(/no end within 2 s|no end within 1 s/);
    expect(Date.now() - started).toBeLessThan(15_000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    // it ignored SIGTERM: the SIGKILL to the group after the program ended took it
    await expect.poll(() => alive(grandchild), { timeout: 10_000 }).toBe(false);
  });

  it('keeps only the end of a flood of output, and says so', async () => {
    const run = await runBounded(node, ['-e', 'for (let i = 0; i < 20000; i++) console.log("line " + i)'], { cwd: tempDir(), maxOutputBytes: 1000 });
    expect(run.code).toBe(0);
    expect(run.truncated).toBe(true);
    expect(run.stdout.length).toBeLessThanOrEqual(1001);
    expect(run.stdout.startsWith('…')).toBe(true);
    expect(run.stdout.trim().endsWith('line 19999')).toBe(true);
  });

  it("stops when the check's signal fires or when asked, and a program that is not there is a result, not a crash", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const stopped = await runBounded(node, ['-e', 'setInterval(() => {}, 1000)'], { cwd: tempDir(), abortSignal: controller.signal });
    expect(stopped.timedOut).toBe(false);
    expect(stopped.code).toBeNull();
    expect(stopped.stderr).toMatch(/check ran out of time/);
    const stopEarly = new AbortController();
    const streaming = runBounded(node, ['-e', 'console.log("listening"); setInterval(() => {}, 1000)'], { cwd: tempDir(), stop: stopEarly.signal });
    setTimeout(() => stopEarly.abort(), 500);
    const told = await streaming;
    expect(told).toMatchObject({ code: null, timedOut: false });
    expect(told.stdout.trim()).toBe('listening');
    expect(told.stderr).toMatch(/stopped: as asked/);
    const missing = await runBounded('tall-no-such-program', [], { cwd: tempDir() });
    expect(missing.code).toBeNull();
    expect(missing.stderr).toMatch(/could not run tall-no-such-program/);
  });
});

describe('ctx.copyServices', () => {
  it('is a writable copy inside the slot, with each service’s own packages linked; removed after the check', async () => {
    const slotDir = tempDir();
    const services = join(tempDir(), 'services');
    mkdirSync(join(services, 'catalog', 'src'), { recursive: true });
    mkdirSync(join(services, 'catalog', 'node_modules', 'left-pad'), { recursive: true });
    writeFileSync(join(services, 'catalog', 'src', 'store.ts'), 'SELECT 1');
    writeFileSync(join(services, 'compose.yaml'), 'services: {}\n');
    const slot = { dir: slotDir, root: slotDir, services, stateDir: join(slotDir, 'state'), release: () => undefined } as Slot;
    const ctx = checkContext({} as EnvironmentHandle, new Map(), { slot, runtime: 'process', abortSignal: new AbortController().signal, activity: { current: '' } }, []);
    const copy = ctx.copyServices();
    expect(copy.startsWith(slotDir)).toBe(true);
    expect(ctx.copyServices()).not.toBe(copy);
    writeFileSync(join(copy, 'catalog', 'src', 'store.ts'), 'SELECT 2');
    expect(readFileSync(join(services, 'catalog', 'src', 'store.ts'), 'utf8')).toBe('SELECT 1');
    expect(lstatSync(join(copy, 'catalog', 'node_modules')).isSymbolicLink()).toBe(true);
    const run = await ctx.run(node, ['-e', 'console.log(require("node:fs").readFileSync("catalog/src/store.ts", "utf8"))'], { cwd: copy });
    expect(run.stdout.trim()).toBe('SELECT 2');
    removeScratch(slot);
    expect(existsSync(copy)).toBe(false);
    expect(existsSync(join(services, 'catalog', 'node_modules', 'left-pad'))).toBe(true);
  });
});
