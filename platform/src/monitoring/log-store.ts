import { DEFAULT_LIMITS, type LogLimits } from './log-limits.js';
import { capLine } from './line-cap.js';
import { SourceRateLimit } from './rate-limit.js';
import { RotatingJsonl } from './rotating-jsonl.js';

export interface LogLine {
  time: string;
  /** "catalog/1", "router", "platform" */
  source: string;
  line: string;
}

const TAIL_LINES = 200;
/** The platform's own lines are few and say what happened (including what was dropped): they are never limited. */
const UNLIMITED = 'platform';

/**
 * All output of the platform and its instances, interleaved in JSON-lines files bounded in size (rotated), with each
 * source limited in rate and each line in length, and a short tail per source in memory.
 */
export class LogStore {
  private readonly out: RotatingJsonl;
  private readonly rate: SourceRateLimit;
  private readonly tails = new Map<string, string[]>();
  /** masks secrets (data-service passwords) in every line before it is stored */
  private redact: (line: string) => string = (line) => line;

  constructor(file: string, limits: LogLimits = DEFAULT_LIMITS) {
    this.out = new RotatingJsonl(file, limits.logs, (error) => console.error(`log store: ${file}: ${error.message}`));
    this.rate = new SourceRateLimit(limits.rate, (message) => this.append(UNLIMITED, message));
  }

  write(source: string, line: string): void {
    if (source !== UNLIMITED && !this.rate.admit(source)) return;
    this.append(source, capLine(this.redact(line)));
  }

  /** From now on every line passes through `redact` first (an app that prints its DATABASE_URL is masked). */
  setRedactor(redact: (line: string) => string): void {
    this.redact = redact;
  }

  tail(source: string, lines = 20): string[] {
    return (this.tails.get(source) ?? []).slice(-lines);
  }

  close(): Promise<void> {
    this.rate.flush();
    return this.out.close();
  }

  private append(source: string, line: string): void {
    const entry: LogLine = { time: new Date().toISOString(), source, line };
    this.out.write(JSON.stringify(entry));
    const tail = this.tails.get(source) ?? [];
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    this.tails.set(source, tail);
  }
}
