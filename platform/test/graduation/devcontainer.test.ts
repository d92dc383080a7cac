import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const KIT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

/** The configuration as the Dev Containers CLI (what VS Code and Codespaces use) reads it. */
async function read(config: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(join(KIT, 'node_modules/.bin/devcontainer'), ['read-configuration', '--workspace-folder', KIT, '--config', join(KIT, config)], { timeout: 60_000 });
  return (JSON.parse(stdout) as { configuration: Record<string, unknown> }).configuration;
}

describe('a classroom without installs: the dev container definitions', () => {
  it('the process-runtime one reads as the Dev Containers CLI reads it: Node 20, the set-up script, the router forwarded', async () => {
    const config = await read('.devcontainer/devcontainer.json');
    expect(config.image).toMatch(/typescript-node:1-20-/);
    expect(config.postCreateCommand).toBe('bash .devcontainer/post-create.sh');
    expect(config.forwardPorts).toEqual([8080]);
    expect(config.containerEnv).toEqual({ TALL_RUNTIME: 'process' });
    expect(config.features).toBeUndefined();
  });

  it('the with-docker one adds Docker-in-Docker, and nothing else differs in how the kit is set up', async () => {
    const config = await read('.devcontainer/with-docker/devcontainer.json');
    expect(Object.keys(config.features as object)).toEqual(['ghcr.io/devcontainers/features/docker-in-docker:2']);
    expect(config.postCreateCommand).toBe('bash .devcontainer/post-create.sh');
  });

  it('the set-up script is the README\'s set-up (npm install), then the doctor; CI runs it on this machine', () => {
    const script = readFileSync(join(KIT, '.devcontainer/post-create.sh'), 'utf8');
    expect(statSync(join(KIT, '.devcontainer/post-create.sh')).mode & 0o111).not.toBe(0);
    expect(script).toMatch(/^npm install/m);
    expect(script).toMatch(/npx tall doctor/);
    expect(readFileSync(join(KIT, 'README.md'), 'utf8')).toMatch(/npm install/);
    expect(readFileSync(join(KIT, '.ci/run'), 'utf8')).toContain('bash .devcontainer/post-create.sh');
  });
});
