/**
 * `tall logs` over a large log: the time and peak memory (RSS) of `tall logs -n 5` and of streaming every line, on one
 * generated JSON-lines file of the given size (the shape an older version, or a large TALL_LOG_MAX_SIZE, leaves).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Prints the process's peak RSS as it exits, so a child's can be read without /usr/bin/time. */
const REPORT_RSS = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nmaxrss-kb '+process.resourceUsage().maxRSS+'\\n'))`;

export interface RunFigure {
  seconds: number;
  peakRssMb: number;
  lines: number;
  ok: boolean;
}

function writeLog(file: string, megabytes: number): number {
  const fd = openSync(file, 'w');
  const start = Date.UTC(2025, 0, 1);
  let written = 0;
  let n = 0;
  while (written < megabytes * 1024 * 1024) {
    let block = '';
    for (let i = 0; i < 10_000; i++, n++) {
      block += `${JSON.stringify({ time: new Date(start + n).toISOString(), source: `catalog/${1 + (n % 3)}`, line: `GET /products/${n} 200 ${'-'.repeat(40)}` })}\n`;
    }
    written += writeSync(fd, block);
  }
  closeSync(fd);
  return n;
}

function timeTall(tall: string, root: string, stateDir: string, args: string[]): Promise<RunFigure> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', REPORT_RSS, tall, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', TALL_ROOT: root, TALL_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      const rss = Number(/maxrss-kb (\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ seconds: (performance.now() - started) / 1000, peakRssMb: rss / 1024, lines, ok: code === 0 });
    });
  });
}

export async function logTailBench(tall: string, root: string, megabytes: number): Promise<{ tail: RunFigure; stream: RunFigure; lines: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tall-bench-logs-'));
  try {
    mkdirSync(join(stateDir, 'default'));
    const lines = writeLog(join(stateDir, 'default', 'logs.jsonl'), megabytes);
    const tail = await timeTall(tall, root, stateDir, ['logs', '-n', '5']);
    const stream = await timeTall(tall, root, stateDir, ['logs', '--json']);
    return { tail, stream, lines };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}
