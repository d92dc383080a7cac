/**
 * Reading the store's JSON-lines files in chunks, forwards or backwards, so memory stays the same whatever their size:
 * `tall logs -n 5` on a 300 MB log reads its last few chunks, not 300 MB.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { rotatedIndexes, rotatedName } from './rotated-files.js';

const CHUNK = 64 * 1024;
/** The store cuts lines at 16 KiB characters; a line past this is not one of its own (a torn or foreign file): skipped. */
const MAX_LINE_BYTES = 1024 * 1024;

export interface OpenFile {
  name: string;
  fd: number;
  ino: number;
  size: number;
}

/**
 * Opens the current file and its rotated ones, newest first, then hands them back oldest first. Open files survive a
 * rotation (renamed, or even removed), so reading them afterwards loses nothing; a file met twice because a rotation
 * ran between two opens is kept once.
 */
export function openFileSet(file: string): OpenFile[] {
  const opened: OpenFile[] = [];
  for (const name of [file, ...rotatedIndexes(file).map((index) => rotatedName(file, index))]) {
    let fd: number;
    try {
      fd = openSync(name, 'r');
    } catch {
      continue;
    }
    const stats = fstatSync(fd);
    if (opened.some((other) => other.ino === stats.ino)) closeSync(fd);
    else opened.push({ name, fd, ino: stats.ino, size: stats.size });
  }
  return opened.reverse();
}

export function closeFileSet(files: OpenFile[]): void {
  for (const file of files) closeSync(file.fd);
}

/**
 * Reads bytes [from, to) of `fd` in chunks and passes on the complete lines of each chunk (awaiting the callback, so a
 * slow reader slows the reading). Returns the offset just after the last complete line: where to go on from.
 */
export async function readLinesForward(fd: number, from: number, to: number, onLines: (lines: string[]) => void | Promise<void>): Promise<number> {
  const buffer = Buffer.alloc(CHUNK);
  let position = from;
  let resumeAt = from;
  let carry: Buffer | undefined;
  let skipping = false;
  while (position < to) {
    const read = readSync(fd, buffer, 0, Math.min(CHUNK, to - position), position);
    if (read === 0) break;
    const data = carry ? Buffer.concat([carry, buffer.subarray(0, read)]) : buffer.subarray(0, read);
    position += read;
    const lines: string[] = [];
    let start = 0;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
      if (skipping) skipping = false;
      else if (newline > start) lines.push(data.toString('utf8', start, newline));
      start = newline + 1;
    }
    const rest = data.length - start;
    // Inside an over-long line nothing of it is kept, however far it goes.
    if (skipping) carry = undefined;
    else if (rest > MAX_LINE_BYTES) {
      skipping = true;
      carry = undefined;
    } else carry = rest > 0 ? Buffer.from(data.subarray(start)) : undefined;
    resumeAt = skipping ? position : position - rest;
    if (lines.length > 0) await onLines(lines);
  }
  return resumeAt;
}

/** The lines of bytes [0, size) of `fd`, last first, read in chunks from the end. */
export function* linesBackward(fd: number, size: number): Generator<string> {
  const buffer = Buffer.alloc(CHUNK);
  let position = size;
  let carry: Buffer | undefined;
  let skipping = false;
  while (position > 0) {
    const length = Math.min(CHUNK, position);
    position -= length;
    const read = readSync(fd, buffer, 0, length, position);
    const data = carry ? Buffer.concat([buffer.subarray(0, read), carry]) : buffer.subarray(0, read);
    let end = data.length;
    while (end > 0) {
      const newline = data.lastIndexOf(10, end - 1);
      if (newline === -1) break;
      if (skipping) skipping = false;
      else if (end > newline + 1) yield data.toString('utf8', newline + 1, end);
      end = newline;
    }
    if (skipping) carry = undefined;
    else if (end > MAX_LINE_BYTES) {
      skipping = true;
      carry = undefined;
    } else carry = end > 0 ? Buffer.from(data.subarray(0, end)) : undefined;
  }
  if (carry && !skipping) yield carry.toString('utf8');
}

/** The entries of JSON lines; a torn line (a crash mid-write) is skipped, the rest kept. */
export function parseLines<T>(lines: string[]): T[] {
  const entries: T[] = [];
  for (const line of lines) {
    try {
      entries.push(JSON.parse(line) as T);
    } catch {
      // skipped
    }
  }
  return entries;
}

/** The last `count` entries that `keep` accepts, across the current and the rotated files, oldest first. */
export function lastEntries<T>(files: OpenFile[], count: number, keep: (entry: T) => boolean): T[] {
  const found: T[] = [];
  if (count <= 0) return found;
  for (const file of [...files].reverse()) {
    for (const line of linesBackward(file.fd, file.size)) {
      const [entry] = parseLines<T>([line]);
      if (entry === undefined || !keep(entry)) continue;
      found.push(entry);
      if (found.length === count) return found.reverse();
    }
  }
  return found.reverse();
}
