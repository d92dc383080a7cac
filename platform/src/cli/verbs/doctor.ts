import { statfsSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_ROUTER_PORT } from '../../environments/environment.js';
import { isPortFree } from '../../util/ports.js';
import { color, printJson } from '../output.js';
import { locate } from '../platform-handle.js';

interface Check {
  name: string;
  ok: boolean;
  /** a problem that does not stop the kit from working (e.g. no Docker: the process runtime still works) */
  optional?: boolean;
  detail: string;
  fix?: string;
}

export async function dockerProblem(): Promise<{ problem: string; fix: string } | undefined> {
  const { dockerAvailable } = await import('../../runtimes/docker/docker-runtime.js');
  const docker = await dockerAvailable();
  return docker.ok ? undefined : { problem: docker.problem ?? 'no Docker engine answers', fix: docker.fix ?? 'install Docker (see README)' };
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine: Node, Docker engine and Compose, ports, disk; says which runtime "up" will use')
    .option('--json', 'print the checks as JSON')
    .action(async (options: { json?: boolean }) => {
      const checks: Check[] = [];
      const major = Number(process.versions.node.split('.')[0]);
      checks.push({ name: 'node', ok: major >= 20, detail: `Node ${process.versions.node}`, fix: major >= 20 ? undefined : 'install Node 20 or newer (https://nodejs.org)' });

      const { dockerAvailable } = await import('../../runtimes/docker/docker-runtime.js');
      const docker = await dockerAvailable();
      checks.push({ name: 'docker', ok: docker.ok, optional: true, detail: docker.ok ? `engine ${docker.engine}, compose ${docker.compose}` : docker.problem ?? 'no engine', fix: docker.ok ? undefined : `${docker.fix ?? 'install Docker'} — or keep going without it: the process runtime needs no Docker` });

      const { state } = locate('default');
      const port = Number(process.env.TALL_PORT ?? DEFAULT_ROUTER_PORT);
      const portFree = state?.routerPort === port || (await isPortFree(port));
      checks.push({ name: 'router port', ok: portFree, detail: state?.routerPort === port ? `port ${port} is used by the running platform` : portFree ? `port ${port} is free` : `port ${port} is in use by another program`, fix: portFree ? undefined : `free it (lsof -i :${port}) or use another: TALL_PORT=<n> npx tall up, or --port <n>` });

      const disk = statfsSync(process.cwd());
      const freeGb = (disk.bavail * disk.bsize) / 1024 ** 3;
      checks.push({ name: 'disk', ok: freeGb >= 2, detail: `${freeGb.toFixed(1)} GB free`, fix: freeGb >= 2 ? undefined : 'free at least 2 GB (Docker images and node_modules need room)' });

      const runtime = docker.ok ? 'docker' : 'process';
      const healthy = checks.every((check) => check.ok || check.optional);
      if (options.json) return printJson({ ok: healthy, runtime, checks });
      for (const check of checks) {
        const mark = check.ok ? color.green('✔') : check.optional ? color.yellow('!') : color.red('✘');
        console.log(`${mark} ${check.name.padEnd(12)} ${check.detail}`);
        if (!check.ok && check.fix) console.log(`  ${color.dim('fix:')} ${check.fix}`);
      }
      console.log(`\n"npx tall up" will use the ${color.bold(runtime)} runtime${docker.ok ? '' : ' (each instance a local process)'}.`);
      console.log(healthy ? 'next: npx tall up' : color.red('fix the problems above, then run "npx tall doctor" again'));
      if (!healthy) process.exitCode = 1;
    });
}
