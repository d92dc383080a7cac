import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostBuildAsRoot, shortReason, type BaseImageRule, type HostBuildOutcome, type ImageStore, type PullOutcome } from './base-image.js';
import { runDockerRaw, spawnDocker } from './docker-cli.js';

const BUILD_SCRIPT = fileURLToPath(new URL('./host-images/build-host-images.sh', import.meta.url));

export interface DockerImagesOptions {
  /**
   * How long `docker pull` may stay silent before we stop waiting for a registry. Offline with no DNS it fails in
   * milliseconds, but a network that drops packets keeps it waiting ~25 s (the daemon's TLS then HTTP timeouts).
   */
  answerWithinMs?: number;
  /** a whole pull, once a registry answered (the Node image is ~75 MB: minutes on classroom wifi) */
  pullLimitMs?: number;
  /** the host build takes ~2 s; more only when apt must first fetch busybox */
  buildLimitMs?: number;
}

/** The engine's image store through the `docker` CLI. */
export function dockerImages(options: DockerImagesOptions = {}): ImageStore {
  const answerWithinMs = options.answerWithinMs ?? 10_000;
  const pullLimitMs = options.pullLimitMs ?? 15 * 60_000;
  const buildLimitMs = options.buildLimitMs ?? 3 * 60_000;
  return {
    async has(image) {
      return (await runDockerRaw(['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 10_000 })).code === 0;
    },
    pull: (image, progress) => pull(image, progress, answerWithinMs, pullLimitMs),
    canBuildHost(rule) {
      if (process.env.TALL_HOST_IMAGE_BUILD === 'off') return { possible: false, why: 'building it is turned off (TALL_HOST_IMAGE_BUILD=off)' };
      if (process.platform !== 'linux') {
        return { possible: false, why: `it can only be built on Linux: a container runs Linux programs, and this machine's ${rule.what} is a ${process.platform} program` };
      }
      // The script sets file owners inside the image (root, and the non-root user) and caches busybox in /var/cache.
      if (process.getuid?.() !== 0) return { possible: false, why: 'building it needs root', fix: hostBuildAsRoot(rule) };
      if (!existsSync(BUILD_SCRIPT)) return { possible: false, why: `its build script is missing (${BUILD_SCRIPT})` };
      return { possible: true };
    },
    buildHost: (rule, progress) => buildHost(rule, progress, buildLimitMs),
  };
}

function pull(image: string, progress: (line: string) => void, answerWithinMs: number, limitMs: number): Promise<PullOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawnDocker(['pull', image]);
    let answered = false;
    let stderr = '';
    let gaveUp: string | undefined;
    const stop = (why: string) => {
      gaveUp ??= why;
      child.kill('SIGKILL');
    };
    // Nothing comes out of `docker pull` until a registry has sent the manifest ("20-slim: Pulling from library/node").
    const silence = setTimeout(() => answered || stop(`nothing after ${answerWithinMs / 1000} s`), answerWithinMs);
    const limit = setTimeout(() => stop(`not done after ${Math.round(limitMs / 60_000)} min`), limitMs);
    onLines(child.stdout!, (line) => {
      if (/^Using default tag/.test(line)) return;
      answered = true;
      if (/Pulling from|Pull complete|^Status:/.test(line)) progress(`pull: ${line}`);
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const finish = (outcome: PullOutcome) => {
      clearTimeout(silence);
      clearTimeout(limit);
      resolve(outcome);
    };
    child.on('error', (error) => finish({ ok: false, reason: error.message, registryAnswered: false }));
    child.on('close', (code) => {
      if (gaveUp) return finish({ ok: false, reason: gaveUp, registryAnswered: answered });
      if (code === 0) return finish({ ok: true, seconds: (Date.now() - started) / 1000 });
      const reason = shortReason(stderr) || `docker pull exited with ${code}`;
      finish({ ok: false, reason, registryAnswered: answered || !unreachable(reason) });
    });
  });
}

/** Errors of the network, not of the registry (which would say "not found", "denied", "unauthorized"). */
function unreachable(reason: string): boolean {
  return /no such host|dial tcp|lookup |timeout|timed out|connection refused|network is unreachable|no route to host|TLS handshake|request canceled|EOF/i.test(reason);
}

function buildHost(rule: BaseImageRule, progress: (line: string) => void, limitMs: number): Promise<HostBuildOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('bash', [BUILD_SCRIPT, rule.hostBuild.target], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The node that runs the kit is the one to copy into the image (PATH may hold another, e.g. nvm's).
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, [rule.hostBuild.nameVariable]: rule.hostImage },
    });
    let stderr = '';
    let timedOut = false;
    const limit = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    onLines(child.stdout, (line) => progress(line.replace(/^\[host-images\]\s*/, 'host image: ')));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', (error) => {
      clearTimeout(limit);
      resolve({ ok: false, reason: `could not run bash: ${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(limit);
      if (code === 0) return resolve({ ok: true, seconds: (Date.now() - started) / 1000 });
      const said = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ').replace(/\[host-images\] (ERROR: )?/g, '');
      resolve({ ok: false, reason: timedOut ? `not done after ${limitMs / 1000} s` : said || `${BUILD_SCRIPT} exited with ${code}` });
    });
  });
}

function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split(/\r?\n/);
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line.trim());
  });
  stream.on('end', () => rest.trim() && onLine(rest.trim()));
}
