import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserError } from '../../src/control-plane/user-error.js';
import { parseCompose } from '../../src/compose/parse-compose.js';
import type { ProjectSpec, ServiceSpec } from '../../src/compose/model.js';
import type { InstanceHandle } from '../../src/runtimes/runtime.js';
import { DockerRuntime, dockerAvailable, routerHostsForContainers } from '../../src/runtimes/docker/docker-runtime.js';

const docker = await dockerAvailable();
const skipReason = docker.ok ? '' : ` — SKIPPED: ${docker.problem} (fix: ${docker.fix})`;
if (!docker.ok) console.warn(`docker runtime tests skipped: ${docker.problem}`);

const FIXTURE = resolve(import.meta.dirname, '../fixtures/docker-basic/compose.yaml');

function dockerCli(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function containerState(id: string): { status: string; exitCode: number; restartPolicy: string; hostIps: string[] } | undefined {
  try {
    const [info] = JSON.parse(dockerCli(['inspect', id])) as Array<{
      State: { Status: string; ExitCode: number };
      HostConfig: { RestartPolicy: { Name: string }; PortBindings: Record<string, Array<{ HostIp: string }>> };
    }>;
    const hostIps = Object.values(info!.HostConfig.PortBindings ?? {}).flat().map((b) => b.HostIp);
    return { status: info!.State.Status, exitCode: info!.State.ExitCode, restartPolicy: info!.HostConfig.RestartPolicy.Name, hostIps };
  } catch {
    return undefined;
  }
}

/** GET (or POST) on loopback, retrying while Docker's port proxy accepts before the app inside listens. */
async function request(port: number, path = '/', method = 'GET', deadlineMs = 10_000): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, signal: AbortSignal.timeout(1000) });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!docker.ok)(`docker runtime on a real engine${skipReason}`, () => {
  const projectName = 'tall-test-docker-basic';
  const stateDir = mkdtempSync(join(tmpdir(), 'tall-docker-'));
  const interpolationEnv = { GREETING: 'hi from the test' };
  let project: ProjectSpec;
  let hello: ServiceSpec;
  let runtime: DockerRuntime;
  const exits: Array<{ handle: InstanceHandle; info: { code: number | null; signal: string | null } }> = [];
  const logs: Array<{ source: string; line: string }> = [];
  const progress: string[] = [];
  let handles: InstanceHandle[] = [];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    project = parseCompose(FIXTURE, { env: { ...process.env, ...interpolationEnv } });
    hello = project.services.find((s) => s.name === 'hello')!;
    runtime = new DockerRuntime({ projectName, composeFile: FIXTURE, stateDir, interpolationEnv });
    runtime.on('exit', (handle: InstanceHandle, info) => exits.push({ handle, info }));
    runtime.on('log', (source: string, line: string) => logs.push({ source, line }));
    const started = Date.now();
    await runtime.prepare(project, (line) => progress.push(line));
    timings.prepare = Date.now() - started;
  });

  afterAll(async () => {
    await runtime?.shutdown().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
    console.log(`docker runtime timings (ms): ${JSON.stringify(timings)}`);
  });

  it('prepare bundles the service on the host and builds its image, reporting progress', () => {
    expect(progress.some((line) => /hello: bundled/.test(line))).toBe(true);
    expect(progress.some((line) => /^build: #\d+ \[hello/.test(line))).toBe(true);
    expect(dockerCli(['image', 'inspect', '--format', '{{.Id}}', `${projectName}-hello`]).trim()).toMatch(/^sha256:/);
  });

  it('starts 3 instances with one call: 3 distinct loopback ports that answer', async () => {
    const started = Date.now();
    handles = await runtime.start(hello, 3);
    timings.start3 = Date.now() - started;
    expect(handles.map((h) => h.index)).toEqual([1, 2, 3]);
    expect(new Set(handles.map((h) => h.port)).size).toBe(3);
    for (const handle of handles) {
      expect(handle.host).toBe('127.0.0.1');
      expect(handle.port).toBeGreaterThan(0);
      expect(handle.containerId).toMatch(/^[0-9a-f]{64}$/);
    }
    const answers = await Promise.all(handles.map((h) => request(h.port)));
    const bodies = answers.map((a) => JSON.parse(a.body) as { greeting: string; hostname: string });
    expect(bodies.every((b) => b.greeting === 'hi from the test')).toBe(true);
    expect(new Set(bodies.map((b) => b.hostname)).size).toBe(3);
    timings.start3Answering = Date.now() - started;
  });

  it('publishes on 127.0.0.1 only and leaves restarts to the platform (the override beats the file)', () => {
    for (const handle of handles) {
      const state = containerState(handle.containerId!)!;
      expect(state.hostIps).toEqual(['127.0.0.1']);
      expect(state.restartPolicy).toBe('no');
    }
  });

  it("tags each log line with its instance", async () => {
    for (const handle of handles) {
      await waitFor(`log line from hello/${handle.index}`, () => logs.find((l) => l.source === `hello/${handle.index}` && /hello listening on 3000/.test(l.line)));
    }
  });

  it('kill: SIGKILL is reported as an exit event, and Docker does not restart the container', async () => {
    const victim = handles[1]!;
    await runtime.kill(victim);
    const exit = await waitFor('exit event after kill', () => exits.find((e) => e.handle.containerId === victim.containerId));
    expect(exit.handle.index).toBe(2);
    expect(exit.info).toEqual({ code: 137, signal: 'SIGKILL' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(containerState(victim.containerId!)?.status).toBe('exited');
  });

  it('a crash is reported with its exit code, and the container stays down', async () => {
    const victim = handles[2]!;
    await request(victim.port, '/crash', 'POST');
    const exit = await waitFor('exit event after crash', () => exits.find((e) => e.handle.containerId === victim.containerId));
    expect(exit.info).toEqual({ code: 3, signal: null });
    await new Promise((r) => setTimeout(r, 1500));
    expect(containerState(victim.containerId!)?.status).toBe('exited');
  });

  it('restart brings a killed instance back (same index, port read again)', async () => {
    const started = Date.now();
    const again = await runtime.restart(hello, handles[1]!);
    timings.restart = Date.now() - started;
    expect(again.index).toBe(2);
    expect(again.containerId).toBe(handles[1]!.containerId);
    expect((await request(again.port)).status).toBe(200);
    handles[1] = again;
    // the log follower picks up the new run only: one "listening" line per run, none repeated
    const listening = () => logs.filter((l) => l.source === 'hello/2' && /hello listening on 3000/.test(l.line)).length;
    await waitFor('the restarted instance to log', () => listening() === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(listening()).toBe(2);
  });

  it('starting more does not bring back a crashed instance (that is the platform\'s call)', async () => {
    const [fourth] = await runtime.start(hello, 1);
    expect(fourth!.index).toBe(4);
    expect((await request(fourth!.port)).status).toBe(200);
    expect(containerState(handles[2]!.containerId!)?.status).toBe('exited');
    handles.push(fourth!);
  });

  it('exec runs a CMD healthcheck inside the container; CMD-SHELL and timeouts work too', async () => {
    const ok = await runtime.exec(handles[0]!, hello.healthcheck!.test, 5000);
    expect(ok).toMatchObject({ exitCode: 0, timedOut: false });
    const failing = await runtime.exec(handles[0]!, ['CMD-SHELL', 'echo not today; exit 3'], 5000);
    expect(failing).toEqual({ exitCode: 3, output: 'not today', timedOut: false });
    const slow = await runtime.exec(handles[0]!, ['CMD', 'sleep', '5'], 300);
    expect(slow.timedOut).toBe(true);
    expect(slow.exitCode).toBeNull();
  });

  it('containers reach a server on the router address via host.docker.internal', async () => {
    const hosts = await routerHostsForContainers();
    expect(hosts.bindHost).not.toBe('0.0.0.0');
    expect(hosts.urlHost).toBe('host.docker.internal');
    const server = http.createServer((_req, res) => res.end('hello from the host'));
    await new Promise<void>((r) => server.listen(0, hosts.bindHost, r));
    try {
      const { port } = server.address() as AddressInfo;
      const fetched = await runtime.exec(handles[0]!, ['CMD', 'wget', '-qO-', '-T', '3', `http://${hosts.urlHost}:${port}/`], 5000);
      expect(fetched).toMatchObject({ exitCode: 0, output: 'hello from the host' });
    } finally {
      server.close();
    }
  });

  it('stop removes the container and reports no exit event', async () => {
    const last = handles.pop()!;
    const exitsBefore = exits.length;
    const started = Date.now();
    await runtime.stop(last, 3000);
    timings.stop = Date.now() - started;
    expect(containerState(last.containerId!)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 500));
    expect(exits.length).toBe(exitsBefore);
  });

  it('shutdown leaves no container or network behind, and is idempotent', async () => {
    const started = Date.now();
    await runtime.shutdown();
    timings.shutdown = Date.now() - started;
    const filter = `label=com.docker.compose.project=${projectName}`;
    expect(dockerCli(['ps', '-aq', '--filter', filter]).trim()).toBe('');
    expect(dockerCli(['network', 'ls', '-q', '--filter', filter]).trim()).toBe('');
    await runtime.shutdown();
    await expect(runtime.start(hello, 1)).rejects.toThrow(/shutting down/);
  });
});

describe.skipIf(!docker.ok)(`docker runtime errors${skipReason}`, () => {
  it('dockerAvailable answers quickly with the versions', async () => {
    const started = Date.now();
    const answer = await dockerAvailable();
    expect(Date.now() - started).toBeLessThan(3500);
    expect(answer).toMatchObject({ ok: true });
    expect(answer.engine).toMatch(/^\d+\.\d+/);
    expect(answer.compose).toMatch(/^\d+\.\d+/);
  });

  it('a failing image build names the service and shows the last lines of the build', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tall-docker-broken-'));
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'Dockerfile'), 'FROM tall/node:20\nRUN echo "about to fail" && exit 7\n');
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  broken:\n    build: ./broken\n    expose: ["3000"]\n');
    const file = join(dir, 'compose.yaml');
    const runtime = new DockerRuntime({ projectName: 'tall-test-docker-broken', composeFile: file, stateDir: join(dir, '.state'), interpolationEnv: {} });
    try {
      const error = await runtime.prepare(parseCompose(file, { env: {} }), () => undefined).then(() => undefined, (e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error!.message).toMatch(/service "broken"/);
      expect(error!.message).toMatch(/about to fail|exit code: 7/);
    } finally {
      await runtime.shutdown().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker runtime without an engine (always runs)', () => {
  it('dockerAvailable and prepare say what is wrong and how to fix it', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///tmp/tall-no-engine-here.sock';
    try {
      const answer = await dockerAvailable();
      expect(answer.ok).toBe(false);
      expect(answer.problem).toMatch(/no `docker` command|no Docker engine answers/);
      expect(answer.fix).toMatch(/install-docker\.sh/);
      expect(answer.fix).toMatch(/--runtime process/);
      const runtime = new DockerRuntime({ projectName: 'tall-test-no-engine', composeFile: FIXTURE, stateDir: mkdtempSync(join(tmpdir(), 'tall-docker-')), interpolationEnv: {} });
      const project = parseCompose(FIXTURE, { env: {} });
      const refused = await runtime.prepare(project, () => undefined).then(() => undefined, (error: UserError) => error);
      expect(refused?.message).toMatch(/^docker runtime: no `docker` command|^docker runtime: no Docker engine answers/);
      expect(refused?.fix).toMatch(/install-docker\.sh.*--runtime process/s);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});

describe.skipIf(!docker.ok)(`docker runtime shutdown${skipReason}`, () => {
  it('takes the project down by its labels when the compose file no longer parses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tall-docker-broken-file-'));
    const file = join(dir, 'compose.yaml');
    writeFileSync(file, [
      'services:',
      '  plain:',
      '    image: tall/node:20',
      '    command: ["node", "-e", "require(\'http\').createServer((q, s) => s.end(\'plain\')).listen(3000)"]',
      '    expose: ["3000"]',
      '',
    ].join('\n'));
    const projectName = 'tall-test-docker-broken-file';
    const runtime = new DockerRuntime({ projectName, composeFile: file, stateDir: join(dir, '.state'), interpolationEnv: {} });
    try {
      const project = parseCompose(file, { env: {} });
      await runtime.prepare(project, () => undefined);
      const handles = await runtime.start(project.services[0]!, 2);
      expect((await request(handles[1]!.port)).body).toBe('plain');
      writeFileSync(file, 'services:\n  plain: [this is: not: valid\n');
      await runtime.shutdown();
      const filter = `label=com.docker.compose.project=${projectName}`;
      expect(dockerCli(['ps', '-aq', '--filter', filter]).trim()).toBe('');
      expect(dockerCli(['network', 'ls', '-q', '--filter', filter]).trim()).toBe('');
    } finally {
      await runtime.shutdown().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!docker.ok)(`docker runtime start failures${skipReason}`, () => {
  it('a container that dies at once is reported as an exit after start() returned, with its last words in the logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tall-docker-nostart-'));
    const file = join(dir, 'compose.yaml');
    writeFileSync(file, 'services:\n  nostart:\n    image: tall/node:20\n    command: ["no-such-program"]\n    expose: ["3000"]\n');
    const projectName = 'tall-test-docker-nostart';
    const runtime = new DockerRuntime({ projectName, composeFile: file, stateDir: join(dir, '.state'), interpolationEnv: {} });
    const order: string[] = [];
    const logs: string[] = [];
    runtime.on('exit', (handle: InstanceHandle, info: { code: number | null }) => order.push(`exit ${handle.service}/${handle.index} ${info.code}`));
    runtime.on('log', (source: string, line: string) => logs.push(`${source} ${line}`));
    try {
      const project = parseCompose(file, { env: {} });
      await runtime.prepare(project, () => undefined);
      const [handle] = await runtime.start(project.services[0]!, 1);
      order.push(`started ${handle!.service}/${handle!.index}`);
      await waitFor('the exit event', () => order.length >= 2);
      expect(order).toEqual(['started nostart/1', 'exit nostart/1 127']);
      await waitFor('the reason in the logs', () => logs.find((line) => line.startsWith('nostart/1 ') && /no-such-program/.test(line)));
    } finally {
      await runtime.shutdown().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
