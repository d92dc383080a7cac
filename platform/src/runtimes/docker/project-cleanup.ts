import { docker } from './docker-cli.js';

const projectFilter = (projectName: string) => `label=com.docker.compose.project=${projectName}`;

/** The containers of a Compose project, by its label (so it works even when the compose file no longer parses). */
export async function projectContainers(projectName: string): Promise<string[]> {
  return (await docker(['ps', '--all', '--quiet', '--no-trunc', '--filter', projectFilter(projectName)])).split('\n').filter(Boolean);
}

/** What `compose down` does, without Compose: every container and network labelled with the project. */
export async function removeProject(projectName: string, graceSeconds = 5): Promise<number> {
  const containers = await projectContainers(projectName);
  if (containers.length > 0) {
    await docker(['stop', '-t', String(graceSeconds), ...containers], { timeoutMs: 60_000 }).catch(() => undefined);
    await docker(['rm', '--force', '--volumes', ...containers]);
  }
  const networks = (await docker(['network', 'ls', '--quiet', '--filter', projectFilter(projectName)])).split('\n').filter(Boolean);
  if (networks.length > 0) await docker(['network', 'rm', ...networks]).catch(() => undefined);
  return containers.length;
}

/** The same as a shell line, for the reaper that runs it after the control plane is gone. */
export function removeProjectShellLine(projectName: string): string {
  const filter = projectFilter(projectName).replace(/'/g, '');
  return `ids=$(docker ps -aq --filter '${filter}'); [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1; ` +
    `nets=$(docker network ls -q --filter '${filter}'); [ -n "$nets" ] && docker network rm $nets >/dev/null 2>&1; exit 0`;
}
