/**
 * One line of output is cut at 16 KiB characters (Docker splits at 16 KiB). Cut, not split: a megabyte line stays one
 * entry, so it costs one line of the source's rate limit rather than sixty-four, and the cut says how much is missing.
 */
export const MAX_LINE_CHARS = 16 * 1024;

export function cutMarker(missing: number): string {
  return ` … [line cut: ${missing.toLocaleString('en-US')} more characters]`;
}

/** The first MAX_LINE_CHARS characters, without splitting a surrogate pair. */
export function lineHead(text: string): string {
  const end = isHighSurrogate(text.charCodeAt(MAX_LINE_CHARS - 1)) ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
  return text.slice(0, end);
}

/** The line as the store keeps it: whole if short enough, else its head and how much was cut. */
export function capLine(line: string): string {
  // A line the process runtime already cut carries its marker; room for it keeps the cut from being cut again.
  if (line.length <= MAX_LINE_CHARS + 64) return line;
  const head = lineHead(line);
  return head + cutMarker(line.length - head.length);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
