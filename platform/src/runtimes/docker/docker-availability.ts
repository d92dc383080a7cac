import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { runDockerRaw } from './docker-cli.js';

export interface DockerAvailability {
  ok: boolean;
  /** engine (server) version */
  engine?: string;
  /** Compose v2 version */
  compose?: string;
  problem?: string;
  fix?: string;
}

const NO_DOCKER_FIX = 'on Debian/Ubuntu as root: .ci/install-docker.sh (installs and starts an engine, builds the offline images); elsewhere: Docker Desktop. Or run without Docker: --runtime process';

/** Is there a Docker engine and Compose v2 to use? Fast: both checks run side by side, each bounded to 3 s. */
export async function dockerAvailable(): Promise<DockerAvailability> {
  const [info, composeVersion] = await Promise.all([
    runDockerRaw(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 3000 }),
    runDockerRaw(['compose', 'version', '--short'], { timeoutMs: 3000 }),
  ]);
  if (info.code === null && !info.timedOut) {
    return { ok: false, problem: 'no `docker` command on PATH', fix: NO_DOCKER_FIX };
  }
  const engine = info.stdout.trim();
  if (info.code !== 0 || !engine) {
    const said = firstLine(info.stderr) || firstLine(info.stdout);
    return {
      ok: false,
      problem: info.timedOut ? 'the Docker engine did not answer `docker info` within 3 s' : `no Docker engine answers${said ? ` (${said})` : ''}`,
      fix: `start the engine: here, .ci/install-docker.sh starts dockerd (log in /var/log/tall-dockerd.log); with Docker Desktop, open it. Or run without Docker: --runtime process`,
    };
  }
  const compose = composeVersion.stdout.trim().replace(/^v/, '');
  if (composeVersion.code !== 0 || !compose) {
    return {
      ok: false,
      engine,
      problem: `Docker engine ${engine} answers, but Docker Compose v2 is missing (\`docker compose version\` failed${firstLine(composeVersion.stderr) ? `: ${firstLine(composeVersion.stderr)}` : ''})`,
      fix: 'install the compose plugin: .ci/install-docker.sh does it offline (Debian); or Docker Desktop; or run without Docker: --runtime process',
    };
  }
  return { ok: true, engine, compose };
}

/**
 * Where the platform's router must listen so containers can reach it, and the host name they use for it.
 *
 * The router listens on 127.0.0.1, which a container cannot reach (its loopback is its own). On a Linux engine the
 * router additionally binds the default bridge's gateway address (docker0, e.g. 172.17.0.1): an address of the host that
 * only the host and containers can reach, never 0.0.0.0. Containers name it `host.docker.internal`, which the override's
 * `extra_hosts: host.docker.internal:host-gateway` maps to exactly that address; containers on the project's own network
 * reach it too (traffic to a host address is delivered locally, not forwarded between bridges).
 * Docker Desktop forwards host.docker.internal to the host's loopback itself, so there 127.0.0.1 is enough.
 */
export async function routerHostsForContainers(): Promise<{ bindHost: string; urlHost: string }> {
  const info = await runDockerRaw(['info', '--format', '{{.OperatingSystem}}'], { timeoutMs: 5000 });
  if (info.code !== 0) throw new Error(`no Docker engine answers, so containers have no way to reach the router: ${firstLine(info.stderr)}`);
  if (/docker desktop/i.test(info.stdout)) return { bindHost: '127.0.0.1', urlHost: 'host.docker.internal' };

  // The default bridge's gateway: IPAM says so when configured explicitly; otherwise it is the subnet's first address
  // (Docker's own rule; engine 20.10 leaves Gateway out for the default bridge), or docker0's address when it is up.
  const bridge = await runDockerRaw(['network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}'], { timeoutMs: 5000 });
  const ipam = bridge.code === 0 ? (JSON.parse(bridge.stdout.trim() || '[]') as Array<{ Subnet?: string; Gateway?: string }> | null) ?? [] : [];
  const candidates: string[] = [];
  const add = (address: string | undefined) => {
    if (address && /^\d+\.\d+\.\d+\.\d+$/.test(address) && !candidates.includes(address)) candidates.push(address);
  };
  for (const config of ipam) add(config.Gateway);
  add(networkInterfaces().docker0?.find((a) => a.family === 'IPv4')?.address);
  for (const config of ipam) add(firstHost(config.Subnet));
  // The gateway must be an address of this host. docker0 is often "down" (no container on the default bridge), and
  // then os.networkInterfaces() does not list it; binding it still works, so that is the test.
  let gateway: string | undefined;
  for (const address of candidates) {
    if (await canBind(address)) {
      gateway = address;
      break;
    }
  }
  if (!gateway) {
    throw new Error(
      `cannot use the Docker bridge address${candidates.length ? ` (${candidates.join(', ')})` : ''} on this host, so containers could not reach the router. ` +
        'Is the engine remote (DOCKER_HOST) or rootless? Use --runtime process, or a local engine.',
    );
  }
  return { bindHost: gateway, urlHost: 'host.docker.internal' };
}

/** 172.17.0.0/16 -> 172.17.0.1 */
function firstHost(subnet: string | undefined): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet ?? '');
  if (!match) return undefined;
  const bits = Number(match[5]);
  if (bits > 30) return undefined;
  const ip = match.slice(1, 5).reduce((n, part) => n * 256 + Number(part), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const first = ((ip & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((shift) => (first >>> shift) & 255).join('.');
}

function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}
