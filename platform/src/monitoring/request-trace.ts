/**
 * One request's path through the platform: the router's access lines for its id (one per service it passed through,
 * since services call each other through the router and pass the id on) and every service log line carrying it.
 */
import { join } from 'node:path';
import type { AccessEntry } from '../routing/router.js';
import type { LogLine } from './log-store.js';
import { closeFileSet, openFileSet, parseLines, readLinesForward } from './read-jsonl.js';
import { lineCarriesRequestId } from './structured-log.js';

export type TraceEntry =
  | { kind: 'access'; time: string; entry: AccessEntry }
  | { kind: 'log'; time: string; entry: LogLine };

/** Every access line and log line of request `id`, in time order (an access line at the time its request arrived). */
export async function traceRequest(stateDir: string, id: string): Promise<TraceEntry[]> {
  const found: { at: number; order: number; trace: TraceEntry }[] = [];
  await scan(join(stateDir, 'access.jsonl'), id, (line) => {
    const [entry] = parseLines<AccessEntry>([line]);
    if (entry?.id !== id) return;
    // The line is written when the answer ends; the request began `ms` earlier, before the lines it caused.
    const began = Date.parse(entry.time) - entry.ms;
    found.push({ at: began, order: found.length, trace: { kind: 'access', time: new Date(began).toISOString(), entry } });
  });
  await scan(join(stateDir, 'logs.jsonl'), id, (line) => {
    const [entry] = parseLines<LogLine>([line]);
    if (!entry || typeof entry.line !== 'string' || !lineCarriesRequestId(entry.line, id)) return;
    found.push({ at: Date.parse(entry.time), order: found.length, trace: { kind: 'log', time: entry.time, entry } });
  });
  return found.sort((a, b) => a.at - b.at || a.order - b.order).map((item) => item.trace);
}

/** Streams the lines of a file and its rotated ones that contain `id` at all (a cheap test before any JSON is parsed). */
async function scan(file: string, id: string, onLine: (line: string) => void): Promise<void> {
  const files = openFileSet(file);
  try {
    for (const opened of files) {
      await readLinesForward(opened.fd, 0, opened.size, (lines) => {
        for (const line of lines) if (line.includes(id)) onLine(line);
      });
    }
  } finally {
    closeFileSet(files);
  }
}
