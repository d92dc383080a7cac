import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPgTools } from '../../src/data-services/pg-tools.js';
import type { TallSandbox } from './tall-cli.js';

/** The data-service tests' own system: dbapp, bound to the declared postgres instance app-db. */
export const DATA = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/data');

/** The process runtime's backups need PostgreSQL 15's pg_dump on the machine (.ci/install-docker.sh installs it). */
export const PG_TOOLS = (() => {
  try {
    return { available: true, detail: findPgTools('15').pgDump };
  } catch (error) {
    return { available: false, detail: (error as Error).message };
  }
})();
if (!PG_TOOLS.available) console.warn(`process-runtime backup tests are SKIPPED: ${PG_TOOLS.detail}`);

export interface ServicesJson {
  runtime: string;
  instances: {
    name: string;
    plan: string;
    server: string;
    url?: string;
    appUrl?: string;
    pid?: number;
    containerId?: string;
    lastOperation: { type: string; state: string; description: string };
    bindings: { app: string; declared: boolean }[];
    resurrections: number;
  }[];
}

export interface EventJson {
  time: string;
  type: string;
  service?: string;
  message: string;
}

/** The password the broker keeps for an instance (read from its 0600 file, as only its owner can). */
export function passwordOf(tall: TallSandbox, instance: string, env = 'default'): string {
  const secrets = JSON.parse(readFileSync(join(tall.stateDir, env, 'data-services', 'credentials.json'), 'utf8')) as Record<string, { password: string }>;
  return secrets[instance]!.password;
}

export async function http<T>(url: string, method = 'GET'): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: (await response.json()) as T };
}

/** Named volumes outlive `tall down` on purpose (the data is kept): a test removes its own when it is done. */
export function removeDataVolumes(tall: TallSandbox, env = 'default'): void {
  const project = `tall-${env}-${createHash('sha256').update(join(tall.stateDir, env)).digest('hex').slice(0, 6)}`;
  try {
    const volumes = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `name=${project}-data-`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (volumes.length > 0) execFileSync('docker', ['volume', 'rm', '--force', ...volumes], { stdio: 'ignore' });
  } catch {
    // no engine: nothing was made
  }
}
