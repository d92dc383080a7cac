import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/compose/parse-compose.js';
import { BaseImageError, chooseBaseImage, nodeBaseImage } from '../../src/runtimes/docker/base-image.js';
import { dockerImages } from '../../src/runtimes/docker/docker-images.js';
import { DockerRuntime, dockerAvailable } from '../../src/runtimes/docker/docker-runtime.js';
import { freePort } from '../../src/util/ports.js';
import { TallSandbox } from '../support/tall-cli.js';

/**
 * No registry answers here, so a local tag stands in for the public image, and a name under the reserved .invalid
 * domain for a public image that cannot be pulled (its lookup fails at once, online or not).
 */
const docker = await dockerAvailable();
const hasImage = (image: string) => spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;
const HOST = 'tall/node:20';
const skip = !docker.ok ? `no engine: ${docker.problem}` : !hasImage(HOST) ? `no ${HOST} (platform/src/runtimes/docker/host-images/build-host-images.sh builds it)` : '';
const unique = `${process.pid}-${Date.now().toString(36)}`;
const UNPULLABLE = 'tall-test-nowhere.invalid/node:20-slim';
const made: string[] = [];

afterAll(() => {
  if (made.length > 0) spawnSync('docker', ['image', 'rm', ...made], { stdio: 'ignore' });
});

describe.skipIf(skip)(`base image through "tall up"${skip && ` — SKIPPED: ${skip}`}`, () => {
  async function up(env: Record<string, string>) {
    const tall = new TallSandbox(undefined, { TALL_PORT: String(await freePort()), ...env });
    const result = await tall.run(['up', '--runtime', 'docker']);
    return { tall, result };
  }

  it('uses the public image when it is on this machine, and says so', async () => {
    const stand_in = `tall-test-public-node:${unique}`;
    expect(spawnSync('docker', ['tag', HOST, stand_in]).status).toBe(0);
    made.push(stand_in);
    const { tall, result } = await up({ TALL_PUBLIC_NODE_IMAGE: stand_in });
    try {
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(result.stdout).toContain(`base image: ${stand_in} (public image, already on this machine)`);
      expect(result.stdout).toContain(`FROM docker.io/library/${stand_in}`);
      expect(result.stdout).not.toMatch(/pulling/);
    } finally {
      await tall.run(['down']);
    }
  });

  it('offline: falls back to the host image, saying why', async () => {
    const { tall, result } = await up({ TALL_PUBLIC_NODE_IMAGE: UNPULLABLE });
    try {
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`base image: tall/node:20 — no registry answered pulling ${UNPULLABLE.replace(/[./]/g, '\\$&')} \\(.*no such host\\); using the image built from this machine's Node`));
      expect(result.stdout).toContain('FROM docker.io/tall/node:20');
    } finally {
      await tall.run(['down']);
    }
  });

  it('neither image and no host build: one clear error with the fix, before anything is built', async () => {
    const absent = `tall-test-absent/node:${unique}`;
    const started = Date.now();
    const { result } = await up({ TALL_PUBLIC_NODE_IMAGE: UNPULLABLE, TALL_HOST_NODE_IMAGE: absent, TALL_HOST_IMAGE_BUILD: 'off' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: could not start: no Node base image: no registry answered pulling ${UNPULLABLE}`);
    expect(result.stderr).toContain(`there is no ${absent}`);
    expect(result.stderr).toMatch(/\nfix: connect to the internet .*docker load -i <file>.*npx tall up --runtime process\n$/);
    expect(result.stdout + result.stderr).not.toMatch(/#\d+ |load metadata|failed to solve|BuildKit|control-plane\.log|bundled/);
    expect(hasImage(absent)).toBe(false);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe.skipIf(skip)(`base image pieces on the real engine${skip && ` — SKIPPED: ${skip}`}`, () => {
  const rule = { ...nodeBaseImage({}), publicImage: UNPULLABLE };
  const store = dockerImages({ answerWithinMs: 1500 });

  it.skipIf(!store.canBuildHost(rule).possible)('builds the host image from this machine\'s node when it is missing (about 2 s)', async () => {
    const hostImage = `tall-test-host/node:${unique}`;
    made.push(hostImage);
    const progress: string[] = [];
    const choice = await chooseBaseImage({ ...rule, hostImage }, store, undefined, (line) => progress.push(line));
    expect(choice.image).toBe(hostImage);
    expect(choice.line).toMatch(/; built it from this machine's Node in \d+\.\d s$/);
    expect(progress).toContain(`host image: check: node ${process.version} runs`);
    expect(hasImage(hostImage)).toBe(true);
  });

  it('gives up on a registry that never answers within the bound', async () => {
    // Accepts connections and says nothing: what a network that swallows traffic looks like (docker pull alone waits ~25 s).
    const silent = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const started = Date.now();
      const outcome = await store.pull(`127.0.0.1:${port}/node:20-slim`, () => undefined);
      expect(outcome).toEqual({ ok: false, reason: 'nothing after 1.5 s', registryAnswered: false });
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      silent.close();
    }
  });

  it('a build whose FROM image is missing fails with the image and the fix, not the BuildKit log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tall-docker-nobase-'));
    mkdirSync(join(dir, 'nobase'));
    // A compose file that does not use TALL_NODE_IMAGE: the kit does not choose, the Dockerfile does.
    writeFileSync(join(dir, 'nobase', 'Dockerfile'), `FROM ${UNPULLABLE}\nCMD ["node"]\n`);
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  nobase:\n    build: ./nobase\n    expose: ["3000"]\n');
    const file = join(dir, 'compose.yaml');
    const runtime = new DockerRuntime({ projectName: 'tall-test-docker-nobase', composeFile: file, stateDir: join(dir, '.state'), interpolationEnv: {} });
    try {
      const error = await runtime.prepare(parseCompose(file, { env: {} }), () => undefined).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(BaseImageError);
      expect((error as BaseImageError).problem).toMatch(new RegExp(`^docker build of service "nobase": its base image ${UNPULLABLE.replace(/[./]/g, '\\$&')} is not on this machine and could not be pulled \\(.*no such host\\)$`));
      expect((error as BaseImageError).fix).toMatch(/docker pull .*docker load -i <file>.*--runtime process/);
    } finally {
      await runtime.shutdown().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
