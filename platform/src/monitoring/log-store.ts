import { createWriteStream, type WriteStream } from 'node:fs';

export interface LogLine {
  time: string;
  /** "catalog/1", "router", "platform" */
  source: string;
  line: string;
}

const TAIL_LINES = 200;

/** All output of the platform and its instances, interleaved in one JSON-lines file, with a short tail per source in memory. */
export class LogStore {
  private readonly out: WriteStream;
  private readonly tails = new Map<string, string[]>();

  constructor(file: string) {
    this.out = createWriteStream(file, { flags: 'a' });
  }

  write(source: string, line: string): void {
    const entry: LogLine = { time: new Date().toISOString(), source, line };
    this.out.write(`${JSON.stringify(entry)}\n`);
    const tail = this.tails.get(source) ?? [];
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    this.tails.set(source, tail);
  }

  tail(source: string, lines = 20): string[] {
    return (this.tails.get(source) ?? []).slice(-lines);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
