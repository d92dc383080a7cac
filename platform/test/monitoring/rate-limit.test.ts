import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readAllEntries } from '../../src/cli/follow-file.js';
import { LogStore, type LogLine } from '../../src/monitoring/log-store.js';
import { SourceRateLimit } from '../../src/monitoring/rate-limit.js';
import { MAX_LINE_CHARS, capLine } from '../../src/monitoring/line-cap.js';
import { forEachLine } from '../../src/runtimes/process/line-splitter.js';

const DROPPED = /^(\S+): ([\d,]+) lines dropped in the last [\d.]+ s \(over ([\d,]+) lines\/s\); the log keeps the rest$/;

describe('a source writing too fast', () => {
  it('gets its burst, then its rate; the rest is counted and reported once per interval', () => {
    let now = 0;
    const reports: string[] = [];
    const limit = new SourceRateLimit({ linesPerSecond: 10, burst: 5, reportEveryMs: 60_000 }, (message) => reports.push(message), () => now);
    const admitted = Array.from({ length: 8 }, () => limit.admit('a/1'));
    expect(admitted).toEqual([true, true, true, true, true, false, false, false]);
    expect(limit.admit('b/1')).toBe(true);
    now += 100;
    expect([limit.admit('a/1'), limit.admit('a/1')]).toEqual([true, false]);
    now += 1000;
    limit.flush();
    limit.flush();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(DROPPED);
    expect(DROPPED.exec(reports[0]!)!.slice(1)).toEqual(['a/1', '4', '10']);
    // idle long enough, it has its burst again
    now += 10_000;
    expect(Array.from({ length: 5 }, () => limit.admit('a/1')).every(Boolean)).toBe(true);
  });

  it('leaves a "lines dropped" line from source "platform" in the log, keeps other sources, and stays bounded', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tall-rate-')), 'logs.jsonl');
    const store = new LogStore(file, {
      logs: { maxSize: 64 * 1024, maxFiles: 3 },
      events: { maxSize: 64 * 1024, maxFiles: 3 },
      rate: { linesPerSecond: 100, burst: 200, reportEveryMs: 100 },
    });
    for (let n = 0; n < 50_000; n++) {
      store.write('flood/1', `flood ${n} ${'.'.repeat(80)}`);
      if (n % 5000 === 0) store.write('calm/1', `calm ${n}`);
    }
    await sleep(250);
    store.write('flood/1', 'after the flood');
    await store.close();
    const entries: LogLine[] = [];
    await readAllEntries<LogLine>(file, (more) => void entries.push(...more));
    const notices = entries.filter((entry) => entry.source === 'platform');
    expect(notices).toHaveLength(1);
    const [, source, dropped, rate] = DROPPED.exec(notices[0]!.line)!;
    expect([source, rate]).toEqual(['flood/1', '100']);
    const floodKept = entries.filter((entry) => entry.source === 'flood/1').length;
    expect(Number(dropped!.replace(/,/g, '')) + floodKept).toBe(50_001);
    expect(floodKept).toBeLessThan(300);
    expect(entries.filter((entry) => entry.source === 'calm/1')).toHaveLength(10);
    expect(entries.at(-1)!.line).toBe('after the flood');
    const size = readdirSync(join(file, '..')).reduce((sum, name) => sum + statSync(join(file, '..', name)).size, 0);
    expect(size).toBeLessThan(3 * 64 * 1024);
  });
});

describe('one very long line', () => {
  it('is cut at 16 KiB by the store, saying how much is missing', () => {
    const line = 'y'.repeat(100_000);
    const cut = capLine(line);
    expect(cut.startsWith('y'.repeat(MAX_LINE_CHARS))).toBe(true);
    expect(cut.slice(MAX_LINE_CHARS)).toBe(` … [line cut: ${(100_000 - MAX_LINE_CHARS).toLocaleString('en-US')} more characters]`);
    expect(capLine(cut)).toBe(cut);
    expect(capLine('short')).toBe('short');
  });

  it('is never held whole by the process runtime\'s line splitter', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    forEachLine(stream, (line) => lines.push(line));
    stream.write('first\r\nsecond\n');
    for (let n = 0; n < 64; n++) stream.write('z'.repeat(16 * 1024));
    stream.write('\nthird\n');
    // a character split between two reads stays one character
    stream.write(Buffer.from([0xc3]));
    stream.write(Buffer.from([0xa9, ...Buffer.from('crit en deux ')]));
    stream.end('morceaux');
    await new Promise((resolve) => stream.on('end', resolve));
    await sleep(0);
    expect(lines).toHaveLength(5);
    expect(lines.slice(0, 2)).toEqual(['first', 'second']);
    expect(lines[2]).toBe(`${'z'.repeat(MAX_LINE_CHARS)} … [line cut: ${(64 * 16 * 1024 - MAX_LINE_CHARS).toLocaleString('en-US')} more characters]`);
    expect(lines.slice(3)).toEqual(['third', 'écrit en deux morceaux']);
  });
});
