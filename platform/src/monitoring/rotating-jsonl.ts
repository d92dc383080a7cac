import { chmodSync, closeSync, existsSync, fstatSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { PRIVATE_FILE, openPrivate } from '../util/private-files.js';
import type { RotationLimits } from './log-limits.js';
import { removeRotatedBeyond, rotatedIndexes, rotatedName } from './rotated-files.js';

/**
 * An append-only JSON-lines file bounded like Docker's json-file driver: past maxSize it is rotated (logs.jsonl →
 * logs.1.jsonl → logs.2.jsonl …) and only maxFiles files are kept. rotating-file-stream does the rotation in its
 * "classical" mode, which names files by index through our generator, so readers can find them. Lines written in the
 * same tick go out as one write; a rotation only ever happens between writes, so a line is never split across files.
 */
export class RotatingJsonl {
  private stream: RotatingFileStream | undefined;
  private failedAt = 0;
  private batch: string[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  private readonly batchLimit: number;

  /**
   * `lingerMs`: how long a line may wait for others before they go out together. 0 (the default) writes at the end of
   * the tick; a busy writer (the router's access log, a line per request) sets more, so that thousands of lines a
   * second cost a few file writes, not one each.
   */
  constructor(private readonly file: string, private readonly limits: RotationLimits, private readonly onError: (error: Error) => void = () => undefined, private readonly lingerMs = 0) {
    this.batchLimit = Math.min(64 * 1024, Math.floor(limits.maxSize / 4));
    removeRotatedBeyond(file, limits.maxFiles);
    // A file far over the size (from an older version, or a larger setting) would outlive the bound for many rotations.
    for (const index of [0, ...rotatedIndexes(file)]) keepTail(rotatedName(file, index), limits.maxSize);
  }

  /** Appends one line (without its newline). */
  write(line: string): void {
    this.batch.push(line, '\n');
    this.batchBytes += line.length + 1;
    if (this.batchBytes >= this.batchLimit) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      if (this.lingerMs > 0) setTimeout(() => this.flush(), this.lingerMs).unref();
      else setImmediate(() => this.flush());
    }
  }

  close(): Promise<void> {
    this.flush();
    const stream = this.stream;
    this.stream = undefined;
    if (!stream || stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0) return;
    const text = this.batch.join('');
    this.batch = [];
    this.batchBytes = 0;
    this.open()?.write(text);
  }

  private open(): RotatingFileStream | undefined {
    if (this.stream && !this.stream.destroyed) return this.stream;
    // After a failure (the folder removed, the disk full), try again at most once a second rather than on every line.
    if (Date.now() - this.failedAt < 1000) return undefined;
    const file = this.file;
    const stream = createStream((index: number | Date | null) => basename(typeof index === 'number' ? rotatedName(file, index) : file), {
      path: dirname(file),
      size: `${this.limits.maxSize}B`,
      rotate: this.limits.maxFiles - 1,
      mode: PRIVATE_FILE,
    });
    stream.on('open', (name: string) => {
      try {
        chmodSync(name, PRIVATE_FILE);
      } catch {
        // rotated away already: the next open fixes the next file
      }
    });
    stream.on('error', (error: Error) => {
      this.failedAt = Date.now();
      this.onError(error);
    });
    stream.on('warning', () => undefined);
    this.stream = stream;
    return stream;
  }
}

/** Cuts `file` down to about its last `maxSize` bytes, from a line's start, if it is much larger than that. */
function keepTail(file: string, maxSize: number): void {
  if (!existsSync(file) || statSync(file).size <= maxSize + 1024 * 1024) return;
  const source = openSync(file, 'r');
  const temporary = `${file}.${process.pid}.tmp`;
  const target = openPrivate(temporary, 'w');
  try {
    const size = fstatSync(source).size;
    const buffer = Buffer.alloc(64 * 1024);
    let position = size - maxSize;
    let started = false;
    for (;;) {
      const read = readSync(source, buffer, 0, buffer.length, position);
      if (read === 0) break;
      let from = 0;
      if (!started) {
        const newline = buffer.indexOf(10);
        if (newline === -1 || newline >= read) {
          position += read;
          continue;
        }
        from = newline + 1;
        started = true;
      }
      writeSync(target, buffer, from, read - from);
      position += read;
    }
  } finally {
    closeSync(source);
    closeSync(target);
  }
  renameSync(temporary, file);
}
