// `tall watch` stopped with Ctrl-C: whatever the moment — a check waiting on a request, or the throwaway platform still
// starting — it leaves with no stack trace and takes down everything its check started: no control plane, no instance,
// no state file in the check's slot.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_API, miniLabKit } from './mini-kit.js';
import { processStartTime } from '../../src/util/process-identity.js';
import { TALL, waitFor } from '../support/tall-cli.js';

const MANIFEST = `labs:
  - { id: "00", slug: demo, title: A demo lab, topic: testing, feature: none, start_timeout: 60s }
`;

// One check that is busy with a request when Ctrl-C comes (it says so in a file the test waits for), and a second
// request started beside it that nobody awaits any more once the first one fails: its rejection must not crash watch.
const CHECKS = `import { writeFileSync } from 'node:fs';
import { defineChecks } from '${CHECK_API}';
export default defineChecks({
  environments: { staging: {} },
  checks: [
    { name: 'busy', title: 'a check busy with a slow request', points: 1, timeout: '60s',
      async run(ctx) {
        const beside = ctx.environment('staging').http.post('/echo/sleep?ms=60000', { n: 1 }, { timeoutMs: 60000 });
        writeFileSync(process.env.CHECK_MARK, 'running');
        await ctx.http.post('/echo/sleep?ms=60000', { n: 2 }, { timeoutMs: 60000 });
        await beside;
      } },
  ],
});
`;

const kit = () => miniLabKit('tall-watchkit-', MANIFEST, { '00-demo': CHECKS });

interface Watch {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `tall watch --manual` in its own process group, as a terminal runs it (Ctrl-C signals the whole group). */
function startWatch(root: string, mark: string): Watch {
  let output = '';
  const child = spawn(process.execPath, [TALL, 'watch', '--manual', '--runtime', 'process'], {
    cwd: root,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', TALL_ROOT: root, TALL_STATE_DIR: mkdtempSync(join(tmpdir(), 'tall-test-')), CHECK_MARK: mark },
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

/** Ctrl-C in the terminal: SIGINT to the foreground process group. */
const ctrlC = (child: ChildProcess) => process.kill(-child.pid!, 'SIGINT');

interface Recorded {
  daemons: number[];
  instances: number[];
}

/** A process as it is now: its pid and start time, so a pid reused by a stranger later (pids wrap fast here) is not it. */
const identify = (pid: number) => ({ pid, startTime: processStartTime(pid) });
const stillRuns = ({ pid, startTime }: { pid: number; startTime?: string }) => startTime !== undefined && alive(pid) && processStartTime(pid) === startTime;

/** The control planes and instances the slot's state files name right now. */
function recorded(stateDir: string): Recorded {
  const found: Recorded = { daemons: [], instances: [] };
  if (!existsSync(stateDir)) return found;
  for (const env of readdirSync(stateDir)) {
    const file = join(stateDir, env, 'state.json');
    if (!existsSync(file)) continue;
    const state = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; instances: { pid?: number }[] };
    found.daemons.push(state.pid);
    for (const instance of state.instances) if (instance.pid) found.instances.push(instance.pid);
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Processes of the kit (Linux): a control plane names its state folder in its argv, and every process the platform
 * starts (instances, the control plane itself) runs in a folder of the kit — the checked services/ or the check's slot.
 */
function processesOf(kit: string): string[] {
  if (!existsSync('/proc')) return [];
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // not ours to look at
      }
      if ((cmdline.includes(kit) || cwd.startsWith(kit)) && alive(Number(pid))) found.push(`${pid}: ${cmdline.slice(0, 200)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** "1234: node server.mjs (cwd /tmp/…)" — what a pid is now, for a failure message. */
function whatIs(pid: number): string {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 160)} (cwd ${readlinkSync(`/proc/${pid}/cwd`)})`;
  } catch {
    return `${pid}`;
  }
}

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('tall watch, stopped with Ctrl-C', () => {
  it('during a check: no stack trace, and the throwaway platform is gone — control planes, instances, state files', async () => {
    const root = kit();
    const mark = join(root, 'check-running');
    const slotState = join(root, '.tall', 'checks', 'slot-1', 'state');
    const watch = startWatch(root, mark);
    try {
      await waitFor('the check to be busy with its request', async () => existsSync(mark), 90_000);
      const before = recorded(slotState);
      expect(before.daemons).toHaveLength(2); // default and staging
      expect(before.instances.length).toBeGreaterThanOrEqual(4); // echo ×2 in each
      const processes = [...before.daemons, ...before.instances].map(identify);
      expect(processes.every(stillRuns)).toBe(true);

      ctrlC(watch.child);
      const exit = await Promise.race([watch.exited, new Promise<undefined>((resolve) => setTimeout(resolve, 60_000))]);
      expect(exit, `tall watch did not leave within 60 s after Ctrl-C:\n${watch.output()}`).toBeDefined();
      expect(exit!.code, watch.output()).toBe(130);
      expect(watch.output()).not.toMatch(STACK);
      expect(watch.output()).not.toMatch(/CheckFailed|Unhandled|uncaught/i);
      expect(watch.output()).toMatch(/stopping the checks and the throwaway platform/);

      expect(recorded(slotState)).toEqual({ daemons: [], instances: [] });
      const left = processes.filter(stillRuns).map(({ pid }) => whatIs(pid));
      expect(left, watch.output()).toEqual([]);
      expect(processesOf(root)).toEqual([]);
    } finally {
      if (watch.child.exitCode === null) process.kill(-watch.child.pid!, 'SIGKILL');
      else rmSync(root, { recursive: true, force: true });
    }
  });

  it('while the throwaway platform is still starting: nothing keeps running once watch has left', async () => {
    const root = kit();
    const slotState = join(root, '.tall', 'checks', 'slot-1', 'state');
    const watch = startWatch(root, join(root, 'check-running'));
    try {
      await waitFor('the throwaway platform to be starting', async () => /starting a throwaway platform/.test(watch.output()), 60_000);
      ctrlC(watch.child);
      const exit = await Promise.race([watch.exited, new Promise<undefined>((resolve) => setTimeout(resolve, 60_000))]);
      expect(exit, `tall watch did not leave within 60 s after Ctrl-C:\n${watch.output()}`).toBeDefined();
      expect(exit!.code, watch.output()).toBe(130);
      expect(watch.output()).not.toMatch(STACK);
      // A control plane the start had already spawned would keep starting the shop: give it the time to show up.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(processesOf(root)).toEqual([]);
      expect(recorded(slotState)).toEqual({ daemons: [], instances: [] });
    } finally {
      if (watch.child.exitCode === null) process.kill(-watch.child.pid!, 'SIGKILL');
      else rmSync(root, { recursive: true, force: true });
    }
  });
});
