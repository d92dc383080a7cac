import { dirname } from 'node:path';
import * as compose from 'docker-compose';

/**
 * One Compose project as the docker runtime drives it, through the `docker-compose` npm package (which runs
 * `docker compose ...`): always `-p <project> -f <compose file> -f <override>`, with the interpolation variables as the
 * environment of the compose process (what `--env-file` would give).
 */
export class ComposeProject {
  constructor(
    private readonly options: {
      projectName: string;
      composeFile: string;
      overrideFile: string;
      /** the environment `docker compose` runs with: interpolation variables plus what docker itself needs (PATH, HOME, DOCKER_*) */
      env: NodeJS.ProcessEnv;
    },
  ) {}

  /** A variable the runtime decides itself (the base image), for every later `docker compose` of the project. */
  setVariable(name: string, value: string): void {
    this.options.env = { ...this.options.env, [name]: value };
  }

  private base(callback?: (chunk: Buffer) => void): compose.IDockerComposeOptions {
    return {
      cwd: dirname(this.options.composeFile),
      config: [this.options.composeFile, this.options.overrideFile],
      composeOptions: [['-p', this.options.projectName], ['--ansi', 'never']],
      env: this.options.env,
      callback,
    };
  }

  /** `docker compose --progress plain build <services>`, streaming its output line by line. */
  async build(services: string[], onLine: (line: string) => void): Promise<void> {
    const lines = lineSplitter(onLine);
    const options = this.base(lines.push);
    options.composeOptions = [...(options.composeOptions ?? []), ['--progress', 'plain']];
    try {
      await compose.buildMany(services, options);
    } finally {
      lines.flush();
    }
  }

  /** `docker compose pull <services>` (for image-only services whose image is not on this machine). */
  async pull(services: string[], onLine: (line: string) => void): Promise<void> {
    const lines = lineSplitter(onLine);
    try {
      await compose.pullMany(services, this.base(lines.push));
    } finally {
      lines.flush();
    }
  }

  /**
   * Creates containers until `service` has `scale` of them, without starting any:
   * `up --no-start --no-deps --no-recreate --scale <service>=<scale> <service>`. Not starting is deliberate: `up` would
   * also start the service's exited containers, which are the platform's to restart (with backoff) or not.
   */
  async createReplicas(service: string, scale: number): Promise<void> {
    await compose.upOne(service, {
      ...this.base(),
      commandOptions: ['--no-start', '--no-deps', '--no-recreate', ['--scale', `${service}=${scale}`]],
    });
  }

  /** Full ids of the service's containers, in any state. */
  async containerIds(service: string): Promise<string[]> {
    const result = await compose.execCompose('ps', ['--all', '--quiet', service], this.base());
    return result.out.split('\n').map((line) => line.trim()).filter(Boolean);
  }

  /** `docker compose down --remove-orphans -t <s>`: containers and networks of the project (named volumes stay). */
  async down(timeoutSeconds: number): Promise<void> {
    await compose.downAll({ ...this.base(), commandOptions: ['--remove-orphans', ['-t', String(timeoutSeconds)]] });
  }
}

/** The result the docker-compose package rejects with when `docker compose` exits non-zero. */
export interface ComposeFailure {
  exitCode: number | null;
  out: string;
  err: string;
}

export function isComposeFailure(value: unknown): value is ComposeFailure {
  return typeof value === 'object' && value !== null && 'exitCode' in value && 'err' in value;
}

/** What a compose failure said, as an Error with its last lines. */
export function composeError(what: string, failure: unknown, lines = 15): Error {
  if (!isComposeFailure(failure)) return failure instanceof Error ? new Error(`${what}: ${failure.message}`) : new Error(`${what}: ${String(failure)}`);
  const text = `${failure.out}\n${failure.err}`.trim().split('\n').filter((line) => line.trim() !== '').slice(-lines).join('\n');
  return new Error(`${what} (docker compose exited with ${failure.exitCode}):\n${text}`);
}

function lineSplitter(onLine: (line: string) => void): { push: (chunk: Buffer) => void; flush: () => void } {
  let rest = '';
  return {
    push: (chunk) => {
      rest += chunk.toString();
      const lines = rest.split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    flush: () => {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}
