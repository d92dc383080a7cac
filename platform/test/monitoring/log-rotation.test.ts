import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { followFile, readAllEntries, readLastEntries } from '../../src/cli/follow-file.js';
import { EventLog, type PlatformEvent } from '../../src/monitoring/event-log.js';
import type { LogLimits } from '../../src/monitoring/log-limits.js';
import { LogStore, type LogLine } from '../../src/monitoring/log-store.js';

const SMALL: LogLimits = {
  logs: { maxSize: 4096, maxFiles: 3 },
  events: { maxSize: 4096, maxFiles: 3 },
  rate: { linesPerSecond: 0, burst: 1, reportEveryMs: 1000 },
};

function tempLog(): string {
  return join(mkdtempSync(join(tmpdir(), 'tall-logs-')), 'logs.jsonl');
}

const files = (file: string) => readdirSync(join(file, '..')).sort();
const numbers = (entries: LogLine[]) => entries.map((entry) => Number(/^line (\d+)$/.exec(entry.line)?.[1] ?? NaN));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, n) => from + n);

async function writeLines(store: LogStore, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n++) store.write('svc/1', `line ${n}`);
}

async function readAll(file: string): Promise<LogLine[]> {
  const all: LogLine[] = [];
  await readAllEntries<LogLine>(file, (entries) => void all.push(...entries));
  return all;
}

describe('the log store, bounded by size like Docker\'s json-file driver', () => {
  it('rotates into logs.1.jsonl, logs.2.jsonl and keeps no more than max-file files of about max-size', async () => {
    const file = tempLog();
    const store = new LogStore(file, SMALL);
    for (let batch = 0; batch < 20; batch++) {
      await writeLines(store, batch * 50, batch * 50 + 50);
      await sleep(5);
    }
    await store.close();
    expect(files(file)).toEqual(['logs.1.jsonl', 'logs.2.jsonl', 'logs.jsonl']);
    for (const name of files(file)) expect(statSync(join(file, '..', name)).size).toBeLessThanOrEqual(4096 + 1024 + 100);
    const kept = numbers(await readAll(file));
    expect(kept.at(-1)).toBe(999);
    expect(kept).toEqual(range(kept[0]!, 1000));
    expect(kept.length).toBeGreaterThan(100);
  });

  it('tails across the current and rotated files: the last N lines, oldest first', async () => {
    const file = tempLog();
    const store = new LogStore(file, SMALL);
    for (let batch = 0; batch < 10; batch++) {
      await writeLines(store, batch * 30, batch * 30 + 30);
      await sleep(5);
    }
    await store.close();
    expect(numbers(readLastEntries<LogLine>(file, 5, () => true).entries)).toEqual([295, 296, 297, 298, 299]);
    // more than the current file holds: the rest comes from logs.1.jsonl
    const current = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    const lastAll = numbers(readLastEntries<LogLine>(file, 100, () => true).entries);
    expect(current).toBeLessThan(100);
    expect(lastAll).toEqual(range(200, 300));
    expect(numbers(readLastEntries<LogLine>(file, 3, (entry) => entry.line.endsWith('0')).entries)).toEqual([270, 280, 290]);
  });

  it('appends across restarts, and trims what older versions or larger settings left beyond the bound', async () => {
    const file = tempLog();
    const legacy = Array.from({ length: 40_000 }, (_, n) => JSON.stringify({ time: '2025-01-01T00:00:00.000Z', source: 'old/1', line: `line ${n}` })).join('\n');
    writeFileSync(file, `${legacy}\n`);
    writeFileSync(join(file, '..', 'logs.7.jsonl'), 'left by max-file 8\n');
    const first = new LogStore(file, SMALL);
    first.write('svc/1', 'line 40000');
    await first.close();
    expect(files(file)).not.toContain('logs.7.jsonl');
    const total = files(file).reduce((sum, name) => sum + statSync(join(file, '..', name)).size, 0);
    expect(total).toBeLessThan(3 * (4096 + 1024));
    const second = new LogStore(file, SMALL);
    second.write('svc/1', 'line 40001');
    await second.close();
    const kept = numbers(await readAll(file));
    expect(kept.slice(-3)).toEqual([39_999, 40_000, 40_001]);
    expect(kept).toEqual(range(kept[0]!, 40_002));
  });

  it('follows across rotations without missing or repeating a line', async () => {
    const file = tempLog();
    const store = new LogStore(file, SMALL);
    await writeLines(store, 0, 10);
    await sleep(20);
    const { entries, from } = readLastEntries<LogLine>(file, 3, () => true, true);
    expect(numbers(entries)).toEqual([7, 8, 9]);
    const seen: LogLine[] = [];
    const stop = new AbortController();
    const following = followFile<LogLine>(file, from, (more) => void seen.push(...more), { pollMs: 15, signal: stop.signal });
    for (let batch = 1; batch < 40; batch++) {
      await writeLines(store, batch * 10, batch * 10 + 10);
      await sleep(10);
    }
    await store.close();
    for (let wait = 0; wait < 100 && numbers(seen).at(-1) !== 399; wait++) await sleep(20);
    stop.abort();
    await following;
    expect(files(file)).toEqual(['logs.1.jsonl', 'logs.2.jsonl', 'logs.jsonl']);
    expect(numbers(seen)).toEqual(range(10, 400));
  });

  it('follows a file that does not exist yet (the platform not started)', async () => {
    const file = tempLog();
    const seen: LogLine[] = [];
    const stop = new AbortController();
    const following = followFile<LogLine>(file, undefined, (more) => void seen.push(...more), { pollMs: 15, signal: stop.signal });
    await sleep(50);
    expect(existsSync(file)).toBe(false);
    const store = new LogStore(file, SMALL);
    await writeLines(store, 0, 5);
    await store.close();
    for (let wait = 0; wait < 100 && seen.length < 5; wait++) await sleep(20);
    stop.abort();
    await following;
    expect(numbers(seen)).toEqual([0, 1, 2, 3, 4]);
  });

  it('rotates the events file the same way, and tall events reads it across files', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tall-events-')), 'events.jsonl');
    const events = new EventLog(file, undefined, SMALL.events);
    events.mark('--- platform started ---');
    for (let n = 0; n < 200; n++) {
      events.record('started', `event ${n}`, { service: 'svc', instance: 'svc/1' });
      if (n % 20 === 0) await sleep(5);
    }
    await events.close();
    expect(files(file)).toEqual(['events.1.jsonl', 'events.2.jsonl', 'events.jsonl']);
    const all: PlatformEvent[] = [];
    await readAllEntries<PlatformEvent>(file, (more) => void all.push(...more));
    expect(all.at(-1)!.message).toBe('event 199');
    const kept = all.map((event) => Number(event.message.slice(6)));
    expect(kept).toEqual(range(kept[0]!, 200));
  });
});
