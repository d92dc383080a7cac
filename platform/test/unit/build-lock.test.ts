import { describe, expect, it } from 'vitest';
import { withBuildLock } from '../../src/runtimes/docker/build-lock.js';

describe('build lock', () => {
  it('builds over overlapping folders one at a time; unrelated folders side by side', async () => {
    const log: string[] = [];
    const build = (name: string, folders: string[], ms: number) =>
      withBuildLock(folders, async () => {
        log.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`${name} out`);
      }, () => log.push(`${name} waits`));
    const unique = `/tmp/lock-test-${process.pid}-${Date.now()}`;
    await Promise.all([build('a', [`${unique}/orders`, `${unique}/web`], 300), build('b', [`${unique}/orders`], 50), build('c', [`${unique}/catalog`], 50)]);
    // b shares orders with a: it never runs while a does.
    const inside = (name: string): [number, number] => [log.indexOf(`${name} in`), log.indexOf(`${name} out`)];
    const [aIn, aOut] = inside('a');
    const [bIn, bOut] = inside('b');
    expect(bIn > aOut || aIn > bOut).toBe(true);
    expect(log.filter((line) => line.endsWith('waits'))).toHaveLength(1);
    expect(log).not.toContain('c waits');
  });
});
