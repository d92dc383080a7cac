import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TALL, TallSandbox, waitFor, type PsJson } from '../support/tall-cli.js';
import { freePort } from '../../src/util/ports.js';

const FLOOD = resolve(import.meta.dirname, '../fixtures/flood');
const MAX_SIZE = 128 * 1024;
const MAX_FILES = 3;

interface LogJson {
  time: string;
  source: string;
  line: string;
}

/** Every file and folder under a folder, with its permission bits. */
function modes(dir: string): { path: string; dir: boolean; mode: number; size: number }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => {
    const stats = statSync(join(dir, name));
    return { path: name, dir: stats.isDirectory(), mode: stats.mode & 0o777, size: stats.size };
  });
}

/** `tall up` under a permissive umask: what the platform creates must be private whatever the umask. */
function upWithUmask(tall: TallSandbox, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile('sh', ['-c', `umask 000 && exec "${process.execPath}" "${TALL}" "$@"`, 'tall', ...args], {
      cwd: tall.root,
      env: { ...process.env, NO_COLOR: '1', TALL_ROOT: tall.root, TALL_STATE_DIR: tall.stateDir, ...tall.extraEnv },
      timeout: 120_000,
    }, (error, stdout, stderr) => resolveRun({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

describe('a service flooding stdout (process runtime)', () => {
  const tall = new TallSandbox(FLOOD, { TALL_LOG_MAX_SIZE: '128k', TALL_LOG_MAX_FILES: String(MAX_FILES), FLOOD_SECONDS: '3' });
  const envDir = join(tall.stateDir, 'default');

  beforeAll(async () => {
    tall.extraEnv.TALL_PORT = String(await freePort());
    const up = await upWithUmask(tall, ['up', '--runtime', 'process']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
  });
  afterAll(async () => {
    await tall.run(['down']);
  });

  it('the platform keeps answering while the flood lasts, and says how many lines it dropped', async () => {
    const ps = await tall.json<PsJson>(['ps']);
    expect(ps.instances.map((i) => i.id)).toEqual(['flood/1']);
    const dropped = await waitFor('the "lines dropped" notice', async () => {
      const run = await tall.run(['logs', 'platform', '--json']);
      const lines = run.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogJson);
      return lines.find((l) => /^flood\/1: [\d,]+ lines dropped in the last [\d.]+ s \(over [\d,]+ lines\/s\)/.test(l.line));
    }, 20_000);
    expect(dropped.source).toBe('platform');
    await waitFor('the flood to end', async () => (await tall.run(['logs', 'flood', '-n', '50'])).stdout.includes('flood done') || undefined, 20_000);
  });

  it('keeps .tall/<env> under the bound, in rotated files, and tall logs -n 5 gives 5 lines', async () => {
    const files = modes(envDir);
    const total = files.reduce((sum, file) => sum + file.size, 0);
    const logs = files.filter((f) => /^logs(\.\d+)?\.jsonl$/.test(f.path)).map((f) => f.path).sort();
    expect(logs).toEqual(['logs.1.jsonl', 'logs.2.jsonl', 'logs.jsonl']);
    // the logs' bound, plus the events, state and control-plane log (small here) and one write's overshoot per file
    expect(total).toBeLessThan(MAX_SIZE * MAX_FILES + 256 * 1024);
    const tail = await tall.run(['logs', '-n', '5']);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout.trim().split('\n')).toHaveLength(5);
    const json = await tall.run(['logs', 'flood', '-n', '5', '--json']);
    expect(json.stdout.trim().split('\n').map((line) => (JSON.parse(line) as LogJson).source)).toEqual(Array(5).fill('flood/1'));
  });

  it('cuts a line of 1 MB to about 16 KiB and says so in the line', async () => {
    const lines = (await tall.run(['logs', 'flood', '--json'])).stdout.trim().split('\n').map((line) => JSON.parse(line) as LogJson);
    const long = lines.find((l) => l.line.startsWith('xxxx'));
    // the long line may have rotated out by now; when it is still there, it is cut
    if (long) {
      expect(long.line.length).toBeLessThan(17 * 1024);
      expect(long.line).toMatch(/\[line cut: [\d,]+ more characters\]$/);
    }
    const all = lines.map((l) => l.line.length);
    expect(Math.max(...all)).toBeLessThan(17 * 1024);
  });

  it('says what a source logs when it has no lines, without telling to start the running platform', async () => {
    const none = await tall.run(['logs', 'nosuch']);
    expect(none.code).toBe(0);
    expect(none.stdout + none.stderr).not.toMatch(/start the platform/);
    expect(none.stderr).toMatch(/no lines from "nosuch".*flood\/1.*npx tall logs/s);
  });

  it('makes every folder it creates under the state folder 0700 and every file 0600, even under umask 000', () => {
    const entries = modes(envDir);
    expect(entries.filter((e) => e.path.startsWith('logs.')).length).toBeGreaterThan(1);
    for (const entry of entries) expect([entry.path, entry.mode.toString(8)]).toEqual([entry.path, entry.dir ? '700' : '600']);
    expect((statSync(envDir).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(tall.stateDir).mode & 0o777).toString(8)).toBe('700');
  });

  it('keeps the earlier run within the bound on the next up, after a marker line', async () => {
    expect((await tall.run(['down'])).code).toBe(0);
    tall.extraEnv.FLOOD_SECONDS = '0';
    const again = await upWithUmask(tall, ['up', '--runtime', 'process']);
    expect(again.code, again.stderr).toBe(0);
    const lines = (await tall.run(['logs', '--json'])).stdout.trim().split('\n').map((line) => JSON.parse(line) as LogJson);
    const markers = lines.flatMap((l, index) => (/^--- platform started \S+ \(process runtime\) ---$/.test(l.line) && l.source === 'platform' ? [index] : []));
    expect(markers.length).toBeGreaterThanOrEqual(1);
    const earlier = lines.findIndex((l) => l.line.startsWith('flood line'));
    expect(earlier).toBeGreaterThanOrEqual(0);
    expect(earlier).toBeLessThan(markers.at(-1)!);
    // the events file is small enough to hold both runs' markers
    const events = await tall.json<{ type: string; message: string }[]>(['events']);
    expect(events.filter((e) => e.message.startsWith('--- platform started'))).toHaveLength(2);
    expect(readdirSync(envDir).filter((name) => name.endsWith('.previous'))).toEqual([]);
    // the first run's router lines went with the flood; this run's are there, under "router"
    const router = await tall.run(['logs', 'router']);
    expect(router.stdout).toMatch(/^\[router\] router stopped$/m);
    expect(router.stdout).toMatch(/^\[router\] router listening on http:\/\/127\.0\.0\.1:\d+ \(routes: \/flood\/\)$/m);
  });
});
