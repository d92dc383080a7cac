/**
 * How much output the platform keeps, and how fast it takes it: Docker's json-file max-size/max-file for the size,
 * journald's RateLimitBurst/RateLimitIntervalSec idea for the rate. Read from the shell that runs `tall up`.
 */

export interface RotationLimits {
  /** bytes a file may reach before it is rotated */
  maxSize: number;
  /** files kept, the current one included (logs.jsonl, logs.1.jsonl, …) */
  maxFiles: number;
}

export interface RateLimits {
  /** lines a second one source may write, once its burst is spent; 0 = no limit */
  linesPerSecond: number;
  /** lines one source may write at once, e.g. a stack trace at start-up */
  burst: number;
  /** how often the store says how many lines it dropped */
  reportEveryMs: number;
}

export interface LogLimits {
  logs: RotationLimits;
  events: RotationLimits;
  rate: RateLimits;
}

/**
 * Workshop-sized: 3 × 10 MB holds minutes of a service at full rate and days of a quiet shop; 1,000 lines/s after a
 * burst of 5,000 is more than a person can read and far less than a runaway loop writes.
 */
export const DEFAULT_LIMITS: LogLimits = {
  logs: { maxSize: 10 * 1024 * 1024, maxFiles: 3 },
  events: { maxSize: 1024 * 1024, maxFiles: 3 },
  rate: { linesPerSecond: 1000, burst: 5000, reportEveryMs: 5000 },
};

export class LogLimitError extends Error {}

/** The limits from the environment (README.md, "Logs", lists the variables); throws LogLimitError naming the variable when a value makes no sense. */
export function logLimitsFrom(env: NodeJS.ProcessEnv = process.env): LogLimits {
  const maxFiles = count(env, 'TALL_LOG_MAX_FILES', DEFAULT_LIMITS.logs.maxFiles, 2);
  return {
    logs: { maxSize: size(env, 'TALL_LOG_MAX_SIZE', DEFAULT_LIMITS.logs.maxSize), maxFiles },
    events: { maxSize: size(env, 'TALL_EVENTS_MAX_SIZE', DEFAULT_LIMITS.events.maxSize), maxFiles },
    rate: {
      linesPerSecond: count(env, 'TALL_LOG_RATE', DEFAULT_LIMITS.rate.linesPerSecond, 0),
      burst: count(env, 'TALL_LOG_BURST', DEFAULT_LIMITS.rate.burst, 1),
      reportEveryMs: DEFAULT_LIMITS.rate.reportEveryMs,
    },
  };
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** "10m", "512k", "1g", "4096": Docker's max-size syntax. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}

function size(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const bytes = parseSize(text);
  // A file of a few lines would rotate on nearly every write and keep almost nothing.
  if (bytes === undefined || bytes < 4096) throw new LogLimitError(`${name}=${text} is not a size of at least 4k: use e.g. 10m or 512k`);
  return bytes;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number, least: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < least) throw new LogLimitError(`${name}=${text} is not a whole number of at least ${least}`);
  return value;
}
