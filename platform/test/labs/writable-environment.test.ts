// A lab's writable environment: it runs from a copy of services/ of its own, which a check changes (a file, the compose
// file) and then puts into service with `tall deploy` — the checked folder is never written.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentHandle } from '../../src/labs/check-api.js';
import { environmentHandle } from '../../src/labs/check-context.js';
import { acquireSlot, prepareCopy, startEnvironment, stopEnvironment, type Slot, type StartedEnvironment } from '../../src/labs/throwaway.js';
import { MINI } from '../support/tall-cli.js';

describe('a writable lab environment', () => {
  const checksDir = mkdtempSync(join(tmpdir(), 'tall-writable-'));
  let slot: Slot;
  let env: StartedEnvironment;
  let handle: EnvironmentHandle;
  let checked: string;

  beforeAll(async () => {
    slot = await acquireSlot(checksDir);
    prepareCopy(slot, join(MINI, 'services'));
    checked = readFileSync(join(slot.services, 'compose.yaml'), 'utf8');
    env = await startEnvironment(slot, 'env-w1', { writable: true, only: ['echo'] }, { runtime: 'process', timeoutMs: 90_000 });
    handle = environmentHandle(env, { slot, runtime: 'process', abortSignal: new AbortController().signal, activity: { current: '' } });
  }, 120_000);

  afterAll(async () => {
    await stopEnvironment(slot, 'env-w1');
    slot.release();
    rmSync(checksDir, { recursive: true, force: true });
  }, 60_000);

  it('starts from its own copy, with the variant written into that copy', () => {
    expect(env.started).toBe(true);
    expect(env.servicesDir).toBe(join(slot.dir, 'environments', 'env-w1', 'services'));
    expect(env.composeFile).toBe(join(env.servicesDir!, 'compose.yaml'));
    expect(readFileSync(env.composeFile, 'utf8')).not.toMatch(/^ {2}slow:/m);
    expect(handle.compose().map((service) => service.name)).toEqual(['echo']);
  });

  it('serves what a check changed once `tall deploy` puts it into service; the checked folder stays as it was', async () => {
    handle.editCompose((document) => {
      document.services.echo!.environment = { ...(document.services.echo!.environment as Record<string, string>), GREETING: 'bonjour' };
    });
    handle.writeFile('echo/notes/extra.txt', 'written by a check');
    expect(readFileSync(join(env.servicesDir!, 'echo/notes/extra.txt'), 'utf8')).toBe('written by a check');
    // deploy takes --env from the handle, as every verb acting on one environment does
    const deployed = await handle.tall(['deploy', 'echo', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ service: 'echo', version: 2, outcome: 'succeeded' });
    const answer = await handle.http.get('/echo/hello');
    expect(answer.json).toMatchObject({ greeting: 'bonjour' });
    expect(readFileSync(join(slot.services, 'compose.yaml'), 'utf8')).toBe(checked);
    expect(existsSync(join(slot.services, 'echo/notes'))).toBe(false);
  }, 120_000);

  it('refuses a path outside its copy, and an environment that is not writable has nothing to write', () => {
    expect(() => handle.writeFile('../compose.yaml', 'x')).toThrow(/outside the environment's copy/);
    const readOnly = environmentHandle({ ...env, servicesDir: undefined }, { slot, runtime: 'process', abortSignal: new AbortController().signal, activity: { current: '' } });
    expect(() => readOnly.writeFile('echo/x.txt', 'x')).toThrow(/writable: true/);
    expect(() => readOnly.editCompose(() => undefined)).toThrow(/writable: true/);
  });
});
