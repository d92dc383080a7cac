import { describe, expect, it } from 'vitest';
import { ServicePool } from '../../src/routing/balancer.js';

const endpoint = (n: number) => ({ id: `svc/${n}`, host: '127.0.0.1', port: 1000 + n });

describe('ServicePool', () => {
  it('round-robin visits every instance in turn', () => {
    const pool = new ServicePool('round-robin');
    [1, 2, 3].forEach((n) => pool.add(endpoint(n)));
    const picks = Array.from({ length: 9 }, () => pool.pick()!.id);
    expect(new Set(picks).size).toBe(3);
    expect(picks.filter((id) => id === 'svc/1')).toHaveLength(3);
  });

  it('least-connection prefers the instance with the fewest requests in flight', () => {
    const pool = new ServicePool('least-connection');
    [1, 2, 3].forEach((n) => pool.add(endpoint(n)));
    pool.begin('svc/1');
    pool.begin('svc/1');
    pool.begin('svc/2');
    expect(pool.pick()!.id).toBe('svc/3');
    pool.begin('svc/3');
    pool.begin('svc/3');
    expect(pool.pick()!.id).toBe('svc/2');
  });

  it('skips excluded instances and returns nothing when none is left', () => {
    const pool = new ServicePool();
    pool.add(endpoint(1));
    pool.add(endpoint(2));
    expect(pool.pick(new Set(['svc/1']))!.id).toBe('svc/2');
    expect(pool.pick(new Set(['svc/1', 'svc/2']))).toBeUndefined();
  });

  it('keeps counting in-flight requests of an instance that left the pool, so it can be drained', () => {
    const pool = new ServicePool();
    pool.add(endpoint(1));
    pool.begin('svc/1');
    pool.remove('svc/1');
    expect(pool.size).toBe(0);
    expect(pool.inflightOf('svc/1')).toBe(1);
    pool.end('svc/1');
    expect(pool.inflightOf('svc/1')).toBe(0);
  });
});
