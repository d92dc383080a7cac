import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeFileSet, lastEntries, openFileSet, parseLines, readLinesForward, type OpenFile } from '../monitoring/read-jsonl.js';
import { rotatedIndexes, rotatedName } from '../monitoring/rotated-files.js';

/** Where following a file goes on from: the current file, open, and how far it has been read. */
export interface FollowFrom {
  fd: number;
  ino: number;
  offset: number;
}

type Sink<T> = (entries: T[]) => void | Promise<void>;

/**
 * Every entry of the file and its rotated ones, oldest first, streamed in chunks. With `follow`, returns where the
 * current file was read up to (kept open), for followFile.
 */
export async function readAllEntries<T>(file: string, onEntries: Sink<T>, follow = false): Promise<FollowFrom | undefined> {
  const files = openFileSet(file);
  let from: FollowFrom | undefined;
  try {
    for (const opened of files) {
      const offset = await readLinesForward(opened.fd, 0, opened.size, (lines) => onEntries(parseLines<T>(lines)));
      if (opened === files.at(-1) && opened.name === file) from = { fd: opened.fd, ino: opened.ino, offset };
    }
  } finally {
    closeFileSet(follow && from ? files.filter((opened) => opened.fd !== from!.fd) : files);
  }
  return follow ? from : undefined;
}

/** The last `count` entries `keep` accepts, oldest first; with `follow`, also where to follow from. */
export function readLastEntries<T>(file: string, count: number, keep: (entry: T) => boolean, follow = false): { entries: T[]; from?: FollowFrom } {
  const files = openFileSet(file);
  const entries = lastEntries(files, count, keep);
  const current: OpenFile | undefined = files.at(-1)?.name === file ? files.at(-1) : undefined;
  closeFileSet(follow && current ? files.filter((opened) => opened !== current) : files);
  return { entries, from: follow && current ? { fd: current.fd, ino: current.ino, offset: current.size } : undefined };
}

/**
 * Passes on what is appended to `file` (like tail -F) until Ctrl-C (or `signal`), across rotations: when the name points to a new file,
 * the old one (which the writer closed before renaming it) is read to its end, then any file rotated after it, then
 * the new one from its start — so a rotation neither loses nor repeats lines, unless several rotations happen within
 * one poll and the oldest of them is already deleted.
 */
export async function followFile<T>(file: string, from: FollowFrom | undefined, onEntries: Sink<T>, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const emit = (lines: string[]) => onEntries(parseLines<T>(lines));
  let current = from;
  while (!options.signal?.aborted) {
    current ??= openCurrent(file);
    if (current) {
      const size = fstatSync(current.fd).size;
      // Truncated by hand: start again from its beginning.
      if (size < current.offset) current.offset = 0;
      current.offset = await readLinesForward(current.fd, current.offset, size, emit);
      const now = inodeOf(file);
      if (now !== undefined && now !== current.ino) {
        await readLinesForward(current.fd, current.offset, fstatSync(current.fd).size, emit);
        closeSync(current.fd);
        for (const name of rotatedSince(file, current.ino)) await readWhole(name, emit);
        current = undefined;
        continue;
      }
    }
    await sleep(options.pollMs ?? 200);
  }
  if (current) closeSync(current.fd);
}

function openCurrent(file: string): FollowFrom | undefined {
  try {
    const fd = openSync(file, 'r');
    return { fd, ino: fstatSync(fd).ino, offset: 0 };
  } catch {
    return undefined;
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** The rotated files newer than the one with inode `ino`, oldest first (all of them if that one is gone). */
function rotatedSince(file: string, ino: number): string[] {
  const newer: string[] = [];
  for (const index of rotatedIndexes(file)) {
    const name = rotatedName(file, index);
    if (inodeOf(name) === ino) break;
    newer.push(name);
  }
  return newer.reverse();
}

async function readWhole(name: string, emit: (lines: string[]) => void | Promise<void>): Promise<void> {
  let fd: number;
  try {
    fd = openSync(name, 'r');
  } catch {
    return;
  }
  try {
    await readLinesForward(fd, 0, fstatSync(fd).size, emit);
  } finally {
    closeSync(fd);
  }
}
