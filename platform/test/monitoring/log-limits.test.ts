import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LogLimitError, logLimitsFrom, parseSize } from '../../src/monitoring/log-limits.js';

describe('log limits from the environment', () => {
  it('reads Docker-style sizes and whole numbers, with workshop defaults', () => {
    expect([parseSize('10m'), parseSize('512k'), parseSize('1G'), parseSize('4096'), parseSize('1.5m')]).toEqual([10 * 1024 ** 2, 512 * 1024, 1024 ** 3, 4096, 1.5 * 1024 ** 2]);
    expect([parseSize('ten'), parseSize('10x'), parseSize('0')]).toEqual([undefined, undefined, undefined]);
    expect(logLimitsFrom({})).toEqual(DEFAULT_LIMITS);
    const set = logLimitsFrom({ TALL_LOG_MAX_SIZE: '1m', TALL_LOG_MAX_FILES: '5', TALL_EVENTS_MAX_SIZE: '64k', TALL_LOG_RATE: '0', TALL_LOG_BURST: '10' });
    expect(set.logs).toEqual({ maxSize: 1024 ** 2, maxFiles: 5 });
    expect(set.events).toEqual({ maxSize: 64 * 1024, maxFiles: 5 });
    expect(set.rate).toMatchObject({ linesPerSecond: 0, burst: 10 });
  });

  it('names the variable when a value makes no sense', () => {
    expect(() => logLimitsFrom({ TALL_LOG_MAX_SIZE: 'big' })).toThrow(new LogLimitError('TALL_LOG_MAX_SIZE=big is not a size of at least 4k: use e.g. 10m or 512k'));
    expect(() => logLimitsFrom({ TALL_LOG_MAX_SIZE: '1k' })).toThrow(LogLimitError);
    expect(() => logLimitsFrom({ TALL_LOG_MAX_FILES: '1' })).toThrow(/TALL_LOG_MAX_FILES=1 is not a whole number of at least 2/);
    expect(() => logLimitsFrom({ TALL_LOG_RATE: '-3' })).toThrow(/TALL_LOG_RATE/);
  });
});
