import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BaseImageError,
  chooseBaseImage,
  composeFileUses,
  missingBaseImage,
  nodeBaseImage,
  planBaseImage,
  shortReason,
  type HostBuildability,
  type HostBuildOutcome,
  type ImageStore,
  type PullOutcome,
} from '../../src/runtimes/docker/base-image.js';

const rule = nodeBaseImage({});
const NO_REGISTRY: PullOutcome = { ok: false, reason: 'lookup registry-1.docker.io on 10.255.255.53:53: no such host', registryAnswered: false };

/** An engine's image store with the given images; every call is recorded, so a test sees what was pulled or built. */
function fakeStore(options: { images?: string[]; pulls?: Record<string, PullOutcome>; buildable?: HostBuildability; build?: HostBuildOutcome } = {}) {
  const images = new Set(options.images ?? []);
  const calls: string[] = [];
  const store: ImageStore = {
    async has(image) {
      return images.has(image);
    },
    async pull(image) {
      calls.push(`pull ${image}`);
      const outcome = options.pulls?.[image] ?? NO_REGISTRY;
      if (outcome.ok) images.add(image);
      return outcome;
    },
    canBuildHost: () => options.buildable ?? { possible: true },
    async buildHost(buildRule) {
      calls.push(`build ${buildRule.hostImage}`);
      const outcome = options.build ?? { ok: true, seconds: 1.9 };
      if (outcome.ok) images.add(buildRule.hostImage);
      return outcome;
    },
  };
  return { store, calls };
}

async function choose(store: ImageStore, explicit?: string) {
  const progress: string[] = [];
  const choice = await chooseBaseImage(rule, store, explicit, (line) => progress.push(line));
  return { ...choice, progress };
}

async function failure(store: ImageStore, explicit?: string): Promise<BaseImageError> {
  const error = await chooseBaseImage(rule, store, explicit, () => undefined).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BaseImageError);
  return error as BaseImageError;
}

describe('base image: the order chooseBaseImage goes through', () => {
  it('defaults to node:20-slim and tall/node:20; tests can rename both', () => {
    expect(rule).toMatchObject({ variable: 'TALL_NODE_IMAGE', publicImage: 'node:20-slim', hostImage: 'tall/node:20' });
    expect(nodeBaseImage({ TALL_PUBLIC_NODE_IMAGE: 'a:1', TALL_HOST_NODE_IMAGE: 'b:2' })).toMatchObject({ publicImage: 'a:1', hostImage: 'b:2' });
  });

  it('(1) TALL_NODE_IMAGE wins when present, even over a public image that is here', async () => {
    const { store, calls } = fakeStore({ images: ['mine:1', 'node:20-slim'] });
    expect(await choose(store, 'mine:1')).toMatchObject({ image: 'mine:1', line: 'base image: mine:1 (set by TALL_NODE_IMAGE)' });
    expect(calls).toEqual([]);
  });

  it('(1) TALL_NODE_IMAGE is pulled when missing', async () => {
    const { store, calls } = fakeStore({ pulls: { 'mine:1': { ok: true, seconds: 3 } } });
    expect((await choose(store, 'mine:1')).line).toBe('base image: mine:1 (set by TALL_NODE_IMAGE; pulled in 3.0 s)');
    expect(calls).toEqual(['pull mine:1']);
  });

  it('(1) TALL_NODE_IMAGE that cannot be had is one error, with no fallback behind the user\'s back', async () => {
    const { store, calls } = fakeStore({ images: ['tall/node:20'] });
    const error = await failure(store, 'mine:1');
    expect(error.problem).toBe('TALL_NODE_IMAGE=mine:1: that image is not on this machine and no registry answered pulling mine:1 (lookup registry-1.docker.io on 10.255.255.53:53: no such host)');
    expect(error.fix).toMatch(/docker pull mine:1.*docker load.*unset TALL_NODE_IMAGE/);
    expect(calls).toEqual(['pull mine:1']);
  });

  it('(2) the public image when it is already here: nothing pulled', async () => {
    const { store, calls } = fakeStore({ images: ['node:20-slim', 'tall/node:20'] });
    expect(await choose(store)).toMatchObject({ image: 'node:20-slim', line: 'base image: node:20-slim (public image, already on this machine)', progress: [] });
    expect(calls).toEqual([]);
  });

  it('(3) the public image pulled, when a registry answers', async () => {
    const { store, calls } = fakeStore({ images: ['tall/node:20'], pulls: { 'node:20-slim': { ok: true, seconds: 12.34 } } });
    const choice = await choose(store);
    expect(choice).toMatchObject({ image: 'node:20-slim', line: 'base image: node:20-slim (public image, pulled in 12.3 s)' });
    expect(choice.progress).toEqual(['base image: pulling node:20-slim (the public Node image, once per machine)']);
    expect(calls).toEqual(['pull node:20-slim']);
  });

  it('(4) the host image when no registry answers, saying why', async () => {
    const { store, calls } = fakeStore({ images: ['tall/node:20'] });
    expect((await choose(store)).line).toBe(
      "base image: tall/node:20 — no registry answered pulling node:20-slim (lookup registry-1.docker.io on 10.255.255.53:53: no such host); using the image built from this machine's Node",
    );
    expect(calls).toEqual(['pull node:20-slim']);
  });

  it('(4) a registry that answers "no" is told apart from no registry at all', async () => {
    const { store } = fakeStore({ images: ['tall/node:20'], pulls: { 'node:20-slim': { ok: false, reason: 'manifest unknown', registryAnswered: true } } });
    expect((await choose(store)).line).toMatch(/^base image: tall\/node:20 — could not pull node:20-slim \(manifest unknown\);/);
  });

  it('(5) the host image built from this machine when it is missing too', async () => {
    const { store, calls } = fakeStore();
    const choice = await choose(store);
    expect(choice).toMatchObject({ image: 'tall/node:20' });
    expect(choice.line).toMatch(/^base image: tall\/node:20 — no registry answered pulling node:20-slim \(.*\); built it from this machine's Node in 1\.9 s$/);
    expect(calls).toEqual(['pull node:20-slim', 'build tall/node:20']);
  });

  it('(6) neither, and the host image cannot be built here: one error that says why, with every fix', async () => {
    const { store, calls } = fakeStore({ buildable: { possible: false, why: 'it can only be built on Linux: a container runs Linux programs, and this machine\'s Node is a darwin program' } });
    const error = await failure(store);
    expect(error.problem).toBe(
      "no Node base image: no registry answered pulling node:20-slim (lookup registry-1.docker.io on 10.255.255.53:53: no such host), and there is no tall/node:20 (the image built from this machine's Node) — it can only be built on Linux: a container runs Linux programs, and this machine's Node is a darwin program",
    );
    expect(error.fix).toContain('docker pull node:20-slim');
    expect(error.fix).toContain('docker load -i <file>');
    expect(error.fix).toContain('npx tall up --runtime process');
    // The fix travels on its own (a UserError), so every caller can print it on its own "fix:" line.
    expect(error.message).toBe(error.problem);
    expect(calls).toEqual(['pull node:20-slim']);
  });

  it('(6) on Linux without root, the fix includes building it as root', async () => {
    const { store } = fakeStore({ buildable: { possible: false, why: 'building it needs root', fix: 'build tall/node:20 as root: sudo …' } });
    expect((await failure(store)).fix).toMatch(/docker load -i <file>.*; or build tall\/node:20 as root: sudo …; or run without Docker/);
  });

  it('(6) a host build that fails says what it said', async () => {
    const { store } = fakeStore({ build: { ok: false, reason: 'could not get busybox (apt-get download busybox)' } });
    expect((await failure(store)).problem).toMatch(/building it from this machine's Node failed: could not get busybox/);
  });
});

describe('base image: what doctor says (pulls and builds nothing)', () => {
  const plan = async (options: Parameters<typeof fakeStore>[0], explicit?: string) => {
    const { store, calls } = fakeStore(options);
    const result = await planBaseImage(rule, store, explicit);
    expect(calls).toEqual([]);
    return result;
  };

  it('names the image up would use, in the same order', async () => {
    expect(await plan({ images: ['mine:1'] }, 'mine:1')).toEqual({ ok: true, detail: 'mine:1 (set by TALL_NODE_IMAGE, on this machine)' });
    expect(await plan({ images: ['node:20-slim', 'tall/node:20'] })).toEqual({ ok: true, detail: 'node:20-slim (public image, on this machine)' });
    expect((await plan({ images: ['tall/node:20'] })).detail).toMatch(/will pull it .*; if no registry answers, it uses tall\/node:20/);
    expect((await plan({})).detail).toMatch(/if no registry answers, it builds tall\/node:20 from this machine's Node/);
  });

  it('warns, with the fixes, when up may find no image', async () => {
    const missing = await plan({}, 'mine:1');
    expect(missing).toMatchObject({ ok: false, detail: 'mine:1 (set by TALL_NODE_IMAGE) is not on this machine; "up" will try to pull it' });
    const neither = await plan({ buildable: { possible: false, why: 'building it needs root', fix: 'build tall/node:20 as root: sudo …' } });
    expect(neither.ok).toBe(false);
    expect(neither.detail).toMatch(/offline it has no other: no tall\/node:20 here, and building it needs root/);
    expect(neither.fix).toMatch(/docker pull node:20-slim.*docker load.*as root.*--runtime process/);
  });
});

describe('base image: reading Docker', () => {
  it('finds a missing FROM image in a BuildKit log (as Compose 2.26 on engine 20.10 prints it)', () => {
    const log = [
      '#0 building with "default" instance using docker driver',
      '#1 [catalog internal] load build definition from Dockerfile',
      '#1 DONE 0.0s',
      '#3 [catalog internal] load metadata for docker.io/library/node:20-slim',
      '#3 ERROR: failed to do request: Head "https://registry-1.docker.io/v2/library/node/manifests/20-slim": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host',
      '------',
      ' > [catalog internal] load metadata for docker.io/library/node:20-slim:',
    ];
    expect(missingBaseImage(log)).toEqual({ service: 'catalog', image: 'node:20-slim', reason: 'lookup registry-1.docker.io on 10.255.255.53:53: no such host' });
    expect(missingBaseImage(['#3 [web internal] load metadata for docker.io/tall/node:20', '#3 ERROR: pull access denied'])).toMatchObject({ image: 'tall/node:20' });
  });

  it('leaves other build failures alone', () => {
    const log = ['#3 [broken internal] load metadata for docker.io/tall/node:20', '#3 DONE 0.0s', '#5 [broken 2/2] RUN exit 7', '#5 ERROR: process "/bin/sh -c exit 7" did not complete successfully: exit code: 7'];
    expect(missingBaseImage(log)).toBeUndefined();
  });

  it('shortens docker pull errors to what they mean', () => {
    expect(shortReason('Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host\n'))
      .toBe('lookup registry-1.docker.io on 10.255.255.53:53: no such host');
    expect(shortReason('Error response from daemon: Get "http://127.0.0.1:5998/v2/": net/http: request canceled (Client.Timeout exceeded while awaiting headers)'))
      .toBe('net/http: request canceled (Client.Timeout exceeded while awaiting headers)');
  });

  it('lets the kit choose only in a compose file that uses the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'base-image-'));
    const uses = join(dir, 'uses.yaml');
    const plain = join(dir, 'plain.yaml');
    writeFileSync(uses, 'services:\n  a:\n    build: { context: ., args: { NODE_IMAGE: "${TALL_NODE_IMAGE:-node:20-slim}" } }\n');
    writeFileSync(plain, '# set TALL_NODE_IMAGE_X? no\nservices:\n  a:\n    build: .\n');
    expect(composeFileUses(uses, 'TALL_NODE_IMAGE')).toBe(true);
    expect(composeFileUses(plain, 'TALL_NODE_IMAGE')).toBe(false);
  });
});
