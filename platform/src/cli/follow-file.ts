import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** Reads the JSON lines of a file, and with `follow` keeps reading what is appended (like tail -f) until Ctrl-C. */
export async function readJsonLines<T>(file: string, onEntry: (entry: T) => void, follow: boolean): Promise<void> {
  let offset = 0;
  let pending = '';
  const drain = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size < offset) offset = 0;
    if (size === offset) return;
    const buffer = Buffer.alloc(size - offset);
    const fd = openSync(file, 'r');
    readSync(fd, buffer, 0, buffer.length, offset);
    closeSync(fd);
    offset = size;
    const lines = (pending + buffer.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        onEntry(JSON.parse(line) as T);
      } catch {
        // a torn line from a crash: skip it, keep the rest
      }
    }
  };
  drain();
  if (!follow) return;
  await new Promise<void>(() => {
    setInterval(drain, 200);
  });
}
