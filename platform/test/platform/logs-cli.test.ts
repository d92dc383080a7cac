import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINI, TALL, TallSandbox } from '../support/tall-cli.js';

/** A log line as the store writes it. */
const entry = (n: number, source = `echo/${1 + (n % 2)}`) => `${JSON.stringify({ time: new Date(Date.UTC(2025, 0, 1) + n).toISOString(), source, line: `line ${n}` })}\n`;
const event = (n: number) => `${JSON.stringify({ time: new Date(Date.UTC(2025, 0, 1) + n).toISOString(), type: 'started', service: 'echo', instance: 'echo/1', message: `event ${n}` })}\n`;

function lines(from: number, to: number, make = entry): string {
  let text = '';
  for (let n = from; n < to; n++) text += make(n);
  return text;
}

/** Runs tall with stdout into a reader that takes `keepBytes` and then closes the pipe, like `tall logs | head -c N`. */
function runIntoClosedPipe(tall: TallSandbox, args: string[], keepBytes: number): Promise<{ code: number | null; signal: string | null; stderr: string; got: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [TALL, ...args], {
      cwd: tall.root,
      env: { ...process.env, NO_COLOR: '1', TALL_ROOT: tall.root, TALL_STATE_DIR: tall.stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let got = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length >= keepBytes) child.stdout.destroy();
    });
    child.on('close', (code, signal) => resolveRun({ code, signal, stderr, got }));
  });
}

describe('tall logs and tall events read the store without loading it', () => {
  it('exits 0 without a stack trace when the reader closes the pipe early (tall logs | head)', async () => {
    const tall = new TallSandbox(MINI);
    mkdirSync(join(tall.stateDir, 'default'), { recursive: true });
    writeFileSync(join(tall.stateDir, 'default', 'logs.jsonl'), lines(0, 100_000));
    writeFileSync(join(tall.stateDir, 'default', 'events.jsonl'), lines(0, 50_000, event));
    for (const args of [['logs'], ['logs', '--json'], ['events']]) {
      const run = await runIntoClosedPipe(tall, args, 100);
      expect(run.got.length, args.join(' ')).toBeGreaterThan(0);
      expect({ args, code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ args, code: 0, signal: null, stderr: '' });
    }
  });

  it('tails a log larger than a string can hold (past 512 MB), and streams it line by line', async () => {
    const tall = new TallSandbox(MINI);
    const dir = join(tall.stateDir, 'default');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'logs.jsonl');
    // A sparse file: 600 MB that take no disk, then real lines at the end.
    writeFileSync(file, lines(0, 10));
    truncateSync(file, 600 * 1024 * 1024);
    const fd = openSync(file, 'a');
    writeSync(fd, `\n${lines(10, 20)}`);
    closeSync(fd);
    const tail = await tall.run(['logs', '-n', '5']);
    expect(tail.stderr).toBe('');
    expect(tail.stdout.trim().split('\n')).toEqual([15, 16, 17, 18, 19].map((n) => `[echo/${1 + (n % 2)}] line ${n}`));
    const all = await tall.run(['logs', 'echo/1', '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { line: string }).line)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18].map((n) => `line ${n}`));
  }, 60_000);

  it('reads across rotated files, oldest first: logs.2.jsonl, logs.1.jsonl, logs.jsonl', async () => {
    const tall = new TallSandbox(MINI);
    const dir = join(tall.stateDir, 'default');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'logs.2.jsonl'), lines(0, 100));
    writeFileSync(join(dir, 'logs.1.jsonl'), lines(100, 200));
    writeFileSync(join(dir, 'logs.jsonl'), lines(200, 202));
    writeFileSync(join(dir, 'events.1.jsonl'), lines(0, 3, event));
    writeFileSync(join(dir, 'events.jsonl'), lines(3, 5, event));
    const tail = await tall.run(['logs', '-n', '4', '--json']);
    expect(tail.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { line: string }).line)).toEqual(['line 198', 'line 199', 'line 200', 'line 201']);
    const all = await tall.run(['logs', '--json']);
    expect(all.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { line: string }).line)).toEqual(Array.from({ length: 202 }, (_, n) => `line ${n}`));
    const events = await tall.json<{ message: string }[]>(['events']);
    expect(events.map((e) => e.message)).toEqual(['event 0', 'event 1', 'event 2', 'event 3', 'event 4']);
  });

  it('says what a source logs when a filter finds nothing, and how to see everything', async () => {
    const tall = new TallSandbox(MINI);
    const dir = join(tall.stateDir, 'default');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'logs.jsonl'), lines(0, 4) + entry(4, 'platform'));
    const router = await tall.run(['logs', 'router']);
    expect(router.code).toBe(0);
    expect(router.stdout).toBe('');
    expect(router.stderr).toMatch(/no lines from "router".*retr.*npx tall logs/s);
    const nosuch = await tall.run(['logs', 'nosuch']);
    expect(nosuch.stderr).toMatch(/no lines from "nosuch".*echo\/1, echo\/2, platform.*npx tall logs/s);
  });
});
