import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isAlive, type PlatformState } from '../control-plane/state-file.js';

const run = promisify(execFile);

/** Stops what a control plane that died without cleaning up left running: instance processes, or the Compose project. */
export async function cleanUpLeftovers(state: PlatformState): Promise<string[]> {
  const cleaned: string[] = [];
  if (state.runtime === 'process') {
    for (const instance of state.instances) {
      if (instance.pid && isAlive(instance.pid)) {
        try {
          process.kill(-instance.pid, 'SIGKILL');
        } catch {
          process.kill(instance.pid, 'SIGKILL');
        }
        cleaned.push(`${instance.id} (pid ${instance.pid})`);
      }
    }
  } else {
    const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${state.projectName}`]).catch(() => ({ stdout: '' }));
    if (stdout.trim()) {
      await run('docker', ['compose', '-p', state.projectName, 'down', '--remove-orphans', '-t', '2']).catch(() => undefined);
      cleaned.push(`docker project ${state.projectName}`);
    }
  }
  return cleaned;
}
