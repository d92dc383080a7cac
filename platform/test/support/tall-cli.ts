import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/util/ports.js';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '../../..');
export const TALL = join(REPO, 'platform/bin/tall.js');
export const MINI = resolve(here, '../fixtures/mini');

export interface TallResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One isolated platform home: its own state folder and router port, pointed at a fixture system. */
export class TallSandbox {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'tall-test-'));

  constructor(readonly root = MINI, readonly extraEnv: Record<string, string> = {}) {}

  run(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<TallResult> {
    return new Promise((resolveResult) => {
      execFile(process.execPath, [TALL, ...args], {
        cwd: this.root,
        timeout: timeoutMs,
        env: { ...process.env, NO_COLOR: '1', TALL_ROOT: this.root, TALL_STATE_DIR: this.stateDir, ...this.extraEnv, ...env },
      }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolveResult({ code, stdout, stderr });
      });
    });
  }

  /** `tall up` on a free router port; resolves with the router's URL once every service is ready. */
  async up(runtime: 'process' | 'docker'): Promise<string> {
    this.extraEnv.TALL_PORT = String(await freePort());
    const up = await this.run(['up', '--runtime', runtime]);
    if (up.code !== 0) throw new Error(`tall up failed (${up.code}): ${up.stderr}${up.stdout}`);
    return (await this.json<PsJson>(['ps'])).routerUrl;
  }

  async json<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
    const result = await this.run([...args, '--json'], env);
    if (result.code !== 0) throw new Error(`tall ${args.join(' ')} failed (${result.code}): ${result.stderr || result.stdout}`);
    return JSON.parse(result.stdout) as T;
  }
}

export interface PsJson {
  runtime: string;
  routerUrl: string;
  services: { name: string; desired: number; ready: number }[];
  instances: { id: string; service: string; index: number; version: number; standby: boolean; state: string; ready: boolean; restarts: number; address: string; pid?: number; containerId?: string }[];
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
