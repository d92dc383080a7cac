import { execFile, spawn, type ChildProcess } from 'node:child_process';

/**
 * The raw `docker` CLI, for the few things Compose has no verb for (start/stop/kill/rm/inspect of one container, exec,
 * events, logs of one container). Always an argv array, never a shell line built from input.
 */

export interface DockerResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class DockerCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly result: DockerResult,
  ) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    super(`docker ${args.slice(0, 2).join(' ')} ${result.timedOut ? 'timed out' : `failed (exit ${result.code})`}${detail ? `: ${detail}` : ''}`);
  }
}

/** Runs `docker <args>`; resolves with the outcome whatever the exit code (ENOENT: code null, message in stderr). */
export function runDockerRaw(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<DockerResult> {
  return new Promise((resolve) => {
    execFile('docker', args, { timeout: options.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024, env: options.env }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr, timedOut: false });
      const err = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      if (err.code === 'ENOENT') return resolve({ code: null, stdout: '', stderr: 'the docker command was not found on PATH', timedOut: false });
      const timedOut = Boolean(err.killed) && typeof err.code !== 'number';
      resolve({ code: typeof err.code === 'number' ? err.code : null, stdout, stderr, timedOut });
    });
  });
}

/** Runs `docker <args>` and returns stdout; throws DockerCommandError on failure. */
export async function docker(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const result = await runDockerRaw(args, options);
  if (result.code !== 0) throw new DockerCommandError(args, result);
  return result.stdout;
}

/** A long-running `docker` process (events, logs -f). */
export function spawnDocker(args: string[]): ChildProcess {
  return spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** "No such container" and friends: the container is already gone. */
export function isGone(error: unknown): boolean {
  return error instanceof DockerCommandError && /no such container|is not running|removal of container .* is already in progress/i.test(error.result.stderr);
}

/** The parts of `docker inspect` this runtime reads. */
export interface ContainerInfo {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; StartedAt: string; FinishedAt: string; OOMKilled: boolean };
  Config: { Labels: Record<string, string> | null };
  NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
  HostConfig: { RestartPolicy: { Name: string } };
}

export async function inspectContainers(ids: string[]): Promise<ContainerInfo[]> {
  if (ids.length === 0) return [];
  return JSON.parse(await docker(['inspect', '--type', 'container', ...ids])) as ContainerInfo[];
}

/** The host port published on 127.0.0.1 for `containerPort`, or 0 when there is none (e.g. the container is not running). */
export function loopbackPort(info: ContainerInfo, containerPort: number): number {
  const bindings = info.NetworkSettings.Ports?.[`${containerPort}/tcp`] ?? [];
  const binding = bindings.find((b) => b.HostIp === '127.0.0.1') ?? bindings[0];
  return binding ? Number(binding.HostPort) : 0;
}
