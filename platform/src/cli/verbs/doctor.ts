import { statfsSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_ROUTER_PORT } from '../../environments/environment.js';
import { isPortFree } from '../../util/ports.js';
import type { RuntimeKind } from '../../runtimes/runtime.js';
import { runtimeFromEnv } from '../../runtimes/registry.js';
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

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine: Node, Docker engine and Compose, base image, ports, disk; says which runtime "up" will use')
    .option('--json', 'print the checks as JSON')
    .action(async (options: { json?: boolean }) => {
      const checks: Check[] = [];
      const major = Number(process.versions.node.split('.')[0]);
      checks.push({ name: 'node', ok: major >= 20, detail: `Node ${process.versions.node}`, fix: major >= 20 ? undefined : 'install Node 20 or newer (https://nodejs.org)' });

      const { env, state } = locate(process.env.TALL_ENV ?? 'default');
      const forced = runtimeFromEnv();
      const { dockerAvailable } = await import('../../runtimes/docker/docker-runtime.js');
      const docker = await dockerAvailable();
      const runtime: RuntimeKind = forced ?? (docker.ok ? 'docker' : 'process');
      checks.push({
        name: 'docker',
        ok: docker.ok,
        // TALL_RUNTIME=docker makes a missing engine a real problem: `up` would fail.
        optional: runtime !== 'docker',
        detail: docker.ok ? `engine ${docker.engine}, compose ${docker.compose}` : docker.problem ?? 'no engine',
        fix: docker.ok ? undefined : runtime === 'docker' ? `${docker.fix ?? 'install Docker'}; or unset TALL_RUNTIME=docker` : `${docker.fix ?? 'install Docker'} — or keep going without it: the process runtime needs no Docker`,
      });
      if (docker.ok && runtime === 'docker') checks.push(await baseImageCheck(env.composeFile, { ...env.variables, ...process.env }));

      const port = Number(process.env.TALL_PORT ?? DEFAULT_ROUTER_PORT);
      const portFree = state?.routerPort === port || (await isPortFree(port));
      checks.push({ name: 'router port', ok: portFree, detail: state?.routerPort === port ? `port ${port} is used by the running platform` : portFree ? `port ${port} is free` : `port ${port} is in use by another program`, fix: portFree ? undefined : `free it (lsof -i :${port}) or use another: TALL_PORT=<n> npx tall up, or --port <n>` });

      const disk = statfsSync(process.cwd());
      const freeGb = (disk.bavail * disk.bsize) / 1024 ** 3;
      checks.push({ name: 'disk', ok: freeGb >= 2, detail: `${freeGb.toFixed(1)} GB free`, fix: freeGb >= 2 ? undefined : 'free at least 2 GB (Docker images and node_modules need room)' });

      const healthy = checks.every((check) => check.ok || check.optional);
      const running = state ? { env: state.env, runtime: state.runtime, routerUrl: state.routerUrl } : undefined;
      if (options.json) return printJson({ ok: healthy, runtime, running, checks });
      for (const check of checks) {
        const mark = check.ok ? color.green('✔') : check.optional ? color.yellow('!') : color.red('✘');
        console.log(`${mark} ${check.name.padEnd(12)} ${check.detail}`);
        if (!check.ok && check.fix) console.log(`  ${color.dim('fix:')} ${check.fix}`);
      }
      const envFlag = env.name === 'default' ? '' : ` --env ${env.name}`;
      if (running) {
        console.log(`\nthe platform is running (${running.runtime} runtime, environment "${running.env}", router ${running.routerUrl ?? 'starting'})`);
        console.log(`see it: npx tall ps${envFlag}   ·   stop it: npx tall down${envFlag}`);
      } else {
        const why = forced ? ` (TALL_RUNTIME=${forced})` : docker.ok ? '' : ' (each instance a local process)';
        console.log(`\n"npx tall up${envFlag}" will use the ${color.bold(runtime)} runtime${why}.`);
      }
      if (!healthy) console.log(color.red('fix the problems above, then run "npx tall doctor" again'));
      else if (!running) console.log(`next: npx tall up${envFlag}`);
      if (!healthy) process.exitCode = 1;
    });
}

/** What `up` would build FROM, from the images already here: pulls and builds nothing, so doctor stays fast. */
async function baseImageCheck(composeFile: string, variables: NodeJS.ProcessEnv): Promise<Check> {
  const { composeFileUses, nodeBaseImage, planBaseImage } = await import('../../runtimes/docker/base-image.js');
  const { dockerImages } = await import('../../runtimes/docker/docker-images.js');
  const rule = nodeBaseImage();
  if (!composeFileUses(composeFile, rule.variable)) {
    return { name: 'base image', ok: true, detail: `the compose file does not use ${rule.variable}: each Dockerfile's FROM decides` };
  }
  const plan = await planBaseImage(rule, dockerImages(), variables[rule.variable] || undefined);
  return { name: 'base image', ok: plan.ok, optional: true, detail: plan.detail, fix: plan.fix };
}
