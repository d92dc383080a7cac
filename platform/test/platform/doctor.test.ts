import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerEngineAnswers } from '../support/docker-engine.js';
import { TallSandbox } from '../support/tall-cli.js';

interface DoctorJson {
  ok: boolean;
  runtime: string;
  running?: { env: string; runtime: string; routerUrl?: string };
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}

const engine = dockerEngineAnswers();

describe('tall doctor', () => {
  const tall = new TallSandbox();

  it('reports each check and the runtime "up" will use', async () => {
    const doctor = await tall.json<DoctorJson>(['doctor']);
    expect(doctor.checks.map((c) => c.name)).toEqual(engine ? ['node', 'docker', 'base image', 'router port', 'disk'] : ['node', 'docker', 'router port', 'disk']);
    expect(doctor.checks[0]).toMatchObject({ ok: true, detail: `Node ${process.versions.node}` });
    expect(doctor.runtime).toBe(engine ? 'docker' : 'process');
  });

  it('without an engine: says how to fix it, and that the process runtime still works', async () => {
    const result = await tall.run(['doctor'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/! docker/);
    expect(result.stdout).toMatch(/fix: .*process runtime needs no Docker/);
    expect(result.stdout).toContain('will use the process runtime');
  });

  it('reports the runtime TALL_RUNTIME gives "up"; asking for docker without an engine is a problem', async () => {
    const asProcess = await tall.json<DoctorJson>(['doctor'], { TALL_RUNTIME: 'process' });
    expect(asProcess.runtime).toBe('process');
    expect(asProcess.checks.map((c) => c.name)).not.toContain('base image');
    const forced = await tall.run(['doctor'], { TALL_RUNTIME: 'docker', DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(forced.code).toBe(1);
    expect(forced.stdout).toMatch(/✘ docker/);
    expect(forced.stdout).toContain('will use the docker runtime (TALL_RUNTIME=docker)');
    const wrong = await tall.run(['doctor'], { TALL_RUNTIME: 'dokcer' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('TALL_RUNTIME=dokcer is not a runtime');
  });

  it('when the platform is up, says so and how to see it instead of "next: npx tall up"', async () => {
    const stateDir = join(tall.stateDir, 'default');
    mkdirSync(stateDir, { recursive: true });
    // A state file whose pid is alive is what `up` leaves behind; this test process stands in for the control plane.
    const state = { env: 'default', runtime: 'process', pid: process.pid, phase: 'running', routerUrl: 'http://127.0.0.1:18080', routerPort: 18080, progress: [], warnings: [], services: [], instances: [] };
    writeFileSync(join(stateDir, 'state.json'), JSON.stringify(state), { mode: 0o600 });
    try {
      const result = await tall.run(['doctor'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
      expect(result.stdout).toContain('the platform is running (process runtime, environment "default", router http://127.0.0.1:18080)');
      expect(result.stdout).toContain('see it: npx tall ps');
      expect(result.stdout).not.toContain('next: npx tall up');
      expect((await tall.json<DoctorJson>(['doctor'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' })).running).toEqual({ env: 'default', runtime: 'process', routerUrl: 'http://127.0.0.1:18080' });
    } finally {
      writeFileSync(join(stateDir, 'state.json'), '');
    }
  });

  it.skipIf(!engine)(`base image: warns, with the fix, when up could find none — without pulling${engine ? '' : ' — SKIPPED: no Docker engine answers'}`, async () => {
    const started = Date.now();
    const doctor = await tall.json<DoctorJson>(['doctor'], {
      TALL_PUBLIC_NODE_IMAGE: 'tall-test-nowhere.invalid/node:20-slim',
      TALL_HOST_NODE_IMAGE: 'tall-test-absent/node:doctor',
      TALL_HOST_IMAGE_BUILD: 'off',
    });
    const check = doctor.checks.find((c) => c.name === 'base image')!;
    expect(check.ok).toBe(false);
    expect(doctor.ok).toBe(true);
    expect(check.detail).toMatch(/tall-test-nowhere\.invalid\/node:20-slim is not on this machine: "up" will pull it .*offline it has no other: no tall-test-absent\/node:doctor here/);
    expect(check.fix).toMatch(/docker load -i <file>.*--runtime process/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
