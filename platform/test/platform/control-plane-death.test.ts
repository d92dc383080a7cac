import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../support/docker-engine.js';
import { TallSandbox, waitFor, type PsJson } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';
import { isAlive, isSameProcess, processStartTime } from '../../src/util/process-identity.js';

function daemonPid(tall: TallSandbox): number {
  return (JSON.parse(readFileSync(join(tall.stateDir, 'default', 'state.json'), 'utf8')) as { pid: number }).pid;
}

/** What is still running of an instance: its process, or its container. */
function instanceAlive(runtime: string, instance: PsJson['instances'][number]): boolean {
  if (runtime === 'process') return isSameProcess(instance.pid!, (instance as { pidStartTime?: string }).pidStartTime);
  const out = execFileSync('docker', ['ps', '--quiet', '--no-trunc', '--filter', `id=${instance.containerId}`], { encoding: 'utf8' });
  return out.trim() !== '';
}

describe.each(RUNTIMES)('a control plane that dies, on the $runtime runtime', ({ runtime, available }) => {
  const sandboxes: TallSandbox[] = [];
  const fresh = async () => {
    const tall = new TallSandbox();
    tall.extraEnv.TALL_PORT = String(await freePort());
    sandboxes.push(tall);
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    return tall;
  };
  afterAll(async () => {
    for (const tall of sandboxes) await tall.run(['down']);
  });

  it.skipIf(!available)('SIGKILL of the control plane takes its instances with it within moments; up then starts cleanly', async () => {
    const tall = await fresh();
    const { instances } = await tall.json<PsJson>(['ps']);
    process.kill(daemonPid(tall), 'SIGKILL');
    await waitFor('every instance to be gone', async () => (instances.every((i) => !instanceAlive(runtime, i)) ? true : undefined), 20_000);
    const ps = await tall.run(['ps']);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toMatch(/not running/);
    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).not.toMatch(/left running/);
  });

  it.skipIf(!available)('when even the reaper is gone: ps names the orphans, and up stops them before starting afresh', async () => {
    const tall = await fresh();
    const { instances } = await tall.json<PsJson>(['ps']);
    const daemon = daemonPid(tall);
    const reaper = Number(execFileSync('pgrep', ['-P', String(daemon), '-f', 'tall-reaper'], { encoding: 'utf8' }).trim().split('\n')[0]);
    process.kill(reaper, 'SIGKILL');
    process.kill(daemon, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(instances.every((i) => instanceAlive(runtime, i))).toBe(true);

    const ps = await tall.run(['ps']);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toMatch(/is gone without having stopped what it started; still running: /);
    expect(ps.stderr).toMatch(runtime === 'process' ? /echo\/1 \(pid \d+\)/ : /container\(s\) of docker project/);
    expect(ps.stderr).toMatch(/fix: stop them with "npx tall down"/);
    const json = await tall.run(['ps', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ phase: 'orphaned' });

    const up = await tall.run(['up', '--runtime', runtime]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/stopped .* left running by a control plane that died/);
    expect(instances.some((i) => instanceAlive(runtime, i))).toBe(false);
    const now = await tall.json<PsJson>(['ps']);
    expect(now.instances.length).toBe(instances.length);
  });

  it.skipIf(!available || runtime !== 'process')('clean-up never signals a process that merely reuses a recorded pid', async () => {
    const tall = new TallSandbox();
    sandboxes.push(tall);
    const stranger = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    try {
      mkdirSync(join(tall.stateDir, 'default'), { recursive: true });
      const record = {
        env: 'default', runtime: 'process', pid: 999_999, phase: 'running', startedAt: new Date().toISOString(), composeFile: '', projectName: 'x',
        progress: [], warnings: [], services: [],
        // The stranger has this pid now, but it is not the process that was started then.
        instances: [{ id: 'echo/1', service: 'echo', index: 1, state: 'running', ready: true, ejected: false, restarts: 0, address: '127.0.0.1:1', pid: stranger.pid, pidStartTime: `${processStartTime(stranger.pid!)}0`, startedAt: '' }],
      };
      writeFileSync(join(tall.stateDir, 'default', 'state.json'), JSON.stringify(record));
      const down = await tall.run(['down']);
      expect(down.code).toBe(0);
      expect(down.stdout).toMatch(/nothing to stop/);
      expect(isAlive(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});
