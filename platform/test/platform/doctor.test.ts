import { describe, expect, it } from 'vitest';
import { dockerEngineAnswers } from '../support/docker-engine.js';
import { TallSandbox } from '../support/tall-cli.js';

interface DoctorJson {
  ok: boolean;
  runtime: string;
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}

describe('tall doctor', () => {
  const tall = new TallSandbox();

  it('reports each check and the runtime "up" will use', async () => {
    const doctor = await tall.json<DoctorJson>(['doctor']);
    expect(doctor.checks.map((c) => c.name)).toEqual(['node', 'docker', 'router port', 'disk']);
    expect(doctor.checks[0]).toMatchObject({ ok: true, detail: `Node ${process.versions.node}` });
    expect(doctor.runtime).toBe(dockerEngineAnswers() ? 'docker' : 'process');
  });

  it('without an engine: says how to fix it, and that the process runtime still works', async () => {
    const result = await tall.run(['doctor'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/! docker/);
    expect(result.stdout).toMatch(/fix: .*process runtime needs no Docker/);
    expect(result.stdout).toContain('will use the process runtime');
  });
});
