import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

/** Calls `onLine` for every line a stream writes. */
export function forEachLine(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
}
