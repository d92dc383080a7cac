import { execFileSync } from 'node:child_process';

/** Whether a Docker engine and the Compose v2 plugin answer here (CI installs both; a laptop may have neither). */
export function dockerEngineAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
    execFileSync('docker', ['compose', 'version'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export const RUNTIMES = [
  { runtime: 'process' as const, available: true },
  { runtime: 'docker' as const, available: dockerEngineAnswers() },
];

if (!RUNTIMES[1]!.available) console.warn('docker runtime tests are SKIPPED: no Docker engine answers here (.ci/install-docker.sh installs one)');
