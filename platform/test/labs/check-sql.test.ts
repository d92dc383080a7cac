import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerStore } from '../../src/data-services/broker-store.js';
import { CheckFailed } from '../../src/labs/check-api.js';
import { sqlTarget } from '../../src/labs/check-sql.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function stateWith(name: string, password: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'check-sql-'));
  dirs.push(dir);
  new BrokerStore(dir).add(
    { name, service: 'postgres', plan: 'small', createdAt: new Date().toISOString(), declared: true, bindings: [], lastOperation: { type: 'create', state: 'succeeded', description: '', updatedAt: '' } },
    { username: name.replace(/-/g, '_'), password, database: name.replace(/-/g, '_') },
  );
  return dir;
}

describe('ctx.sql: where and as whom a check reaches a data-service instance', () => {
  it('takes the address from the masked URL "tall services" lists and the login from the broker\'s credentials', () => {
    const dir = stateWith('orders-db', 'a'.repeat(36));
    const target = sqlTarget(dir, [{ name: 'orders-db', server: 'running', url: 'postgres://orders_db:****@127.0.0.1:5435/orders_db' }], 'orders-db');
    expect(target).toEqual({ host: '127.0.0.1', port: 5435, user: 'orders_db', password: 'a'.repeat(36), database: 'orders_db' });
  });

  it('fails with a verdict, naming what exists, for an unknown or stopped instance — and never shows the password', () => {
    const dir = stateWith('orders-db', 'b'.repeat(36));
    const listed = [{ name: 'orders-db', server: 'down' }];
    expect(() => sqlTarget(dir, listed, 'shop-db')).toThrow(CheckFailed);
    expect(() => sqlTarget(dir, listed, 'shop-db')).toThrow(/no data-service instance "shop-db" \(instances: orders-db\)/);
    expect(() => sqlTarget(dir, listed, 'orders-db')).toThrow(/orders-db is not running \(its server is down\)/);
    try {
      sqlTarget(dir, listed, 'orders-db');
    } catch (error) {
      expect((error as Error).message).not.toContain('b'.repeat(36));
    }
  });

  it('fails when the platform holds no credentials for a listed instance', () => {
    const dir = stateWith('orders-db', 'c'.repeat(36));
    expect(() => sqlTarget(dir, [{ name: 'catalog-db', server: 'running', url: 'postgres://catalog_db:****@127.0.0.1:5436/catalog_db' }], 'catalog-db')).toThrow(/no credentials for catalog-db/);
  });
});
