import type { Readable } from 'node:stream';
import { MAX_LINE_CHARS, cutMarker, lineHead } from '../../monitoring/line-cap.js';

/**
 * Calls `onLine` for every line a stream writes. Unlike readline, it never holds more than MAX_LINE_CHARS of one line:
 * past that it only counts the characters until the line ends, then passes on the head and how much was cut.
 */
export function forEachLine(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  stream.setEncoding('utf8');
  let pending = '';
  let cut = 0;
  const finish = (rest: string) => {
    if (cut > 0) onLine(pending + cutMarker(cut + rest.length));
    else {
      const line = pending + rest;
      const text = line.endsWith('\r') ? line.slice(0, -1) : line;
      const head = text.length > MAX_LINE_CHARS ? lineHead(text) : text;
      onLine(head === text ? text : head + cutMarker(text.length - head.length));
    }
    pending = '';
    cut = 0;
  };
  stream.on('data', (chunk: string) => {
    let start = 0;
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      finish(chunk.slice(start, end));
      start = end + 1;
    }
    if (start === chunk.length) return;
    if (cut > 0) cut += chunk.length - start;
    else {
      pending += chunk.slice(start);
      if (pending.length > MAX_LINE_CHARS) {
        const head = lineHead(pending);
        cut = pending.length - head.length;
        pending = head;
      }
    }
  });
  stream.on('end', () => {
    if (pending || cut) finish('');
  });
}
