import { describe, expect, it } from 'vitest';
import { bindingEnvironment } from '../../src/data-services/bindings.js';
import type { InstanceRecord } from '../../src/data-services/broker-store.js';
import { maskedUrl, newCredentials, Redactor } from '../../src/data-services/credentials.js';
import { bindingVariable, bindingVariables, renderOverride } from '../../src/runtimes/docker/compose-override.js';
import { DEFAULT_RESOURCE_LIMITS } from '../../src/compose/resource-limits.js';
import type { ServiceSpec } from '../../src/compose/model.js';

const record = (name: string, plan = 'small', service = 'postgres'): InstanceRecord => ({
  name, service, plan, createdAt: '2026-01-01T00:00:00.000Z', declared: false,
  lastOperation: { type: 'create', state: 'succeeded', description: '', updatedAt: '' }, bindings: [],
});

describe('bindings reach an app through its environment only', () => {
  it('VCAP_SERVICES is shaped as Cloud Foundry\'s; DATABASE_URL is the first binding\'s', () => {
    const shop = newCredentials('shop-db');
    const audit = newCredentials('audit-db');
    const env = bindingEnvironment([
      { record: record('audit-db', 'medium'), credentials: audit, endpoint: { host: '127.0.0.1', port: 5434 }, boundAt: '2026-01-02T00:00:00.000Z' },
      { record: record('shop-db'), credentials: shop, endpoint: { host: '127.0.0.1', port: 5433 }, boundAt: '2026-01-01T00:00:00.000Z' },
    ]);
    expect(env.DATABASE_URL).toBe(`postgres://shop_db:${shop.password}@127.0.0.1:5433/shop_db`);
    const vcap = JSON.parse(env.VCAP_SERVICES!) as Record<string, Array<Record<string, unknown>>>;
    expect(Object.keys(vcap)).toEqual(['postgres']);
    expect(vcap.postgres!.map((entry) => entry.name)).toEqual(['shop-db', 'audit-db']);
    expect(vcap.postgres![1]).toMatchObject({
      label: 'postgres', plan: 'medium', instance_name: 'audit-db', tags: expect.arrayContaining(['postgres']),
      credentials: { uri: `postgres://audit_db:${audit.password}@127.0.0.1:5434/audit_db`, hostname: '127.0.0.1', port: 5434, name: 'audit_db', username: 'audit_db', password: audit.password },
    });
    expect(bindingEnvironment([])).toEqual({});
  });

  it('a message broker\'s binding gives BROKER_URL, beside the database\'s DATABASE_URL, whichever was bound first', () => {
    const events = newCredentials('events');
    const shop = newCredentials('shop-db');
    const env = bindingEnvironment([
      { record: record('events', 'small', 'broker'), credentials: events, endpoint: { host: '127.0.0.1', port: 5435 }, boundAt: '2026-01-01T00:00:00.000Z' },
      { record: record('shop-db'), credentials: shop, endpoint: { host: '127.0.0.1', port: 5433 }, boundAt: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(env.BROKER_URL).toBe(`postgres://events:${events.password}@127.0.0.1:5435/events`);
    expect(env.DATABASE_URL).toBe(`postgres://shop_db:${shop.password}@127.0.0.1:5433/shop_db`);
    const vcap = JSON.parse(env.VCAP_SERVICES!) as Record<string, Array<Record<string, unknown>>>;
    expect(Object.keys(vcap).sort()).toEqual(['broker', 'postgres']);
    expect(vcap.broker![0]).toMatchObject({ label: 'broker', name: 'events', tags: expect.arrayContaining(['broker', 'pg-boss']) });
    expect(Object.keys(bindingEnvironment([{ record: record('events', 'small', 'broker'), credentials: events, endpoint: { host: 'x', port: 1 }, boundAt: '' }])).sort()).toEqual(['BROKER_URL', 'VCAP_SERVICES']);
  });

  it('people see a masked URL; a password in any line is masked', () => {
    const credentials = newCredentials('shop-db');
    expect(maskedUrl(credentials, { host: '127.0.0.1', port: 5433 })).toBe('postgres://shop_db:****@127.0.0.1:5433/shop_db');
    const redactor = new Redactor();
    redactor.add(credentials.password);
    expect(redactor.redact(`DATABASE_URL=postgres://shop_db:${credentials.password}@x/y and again ${credentials.password}`)).toBe('DATABASE_URL=postgres://shop_db:****@x/y and again ****');
  });

  it('the docker override refers to the credentials by variable: they are never written into it', () => {
    const credentials = newCredentials('shop-db');
    const service = {
      name: 'orders.v2', environment: {}, containerPort: 3000, dependsOn: {}, restart: 'always', replicas: 1, profiles: [], stopGracePeriodMs: 1000,
      labels: {}, limits: DEFAULT_RESOURCE_LIMITS, tall: { route: 'orders', balance: 'round-robin', timeouts: {} },
      bindingEnvironment: { DATABASE_URL: `postgres://shop_db:${credentials.password}@tall-data-shop-db:5432/shop_db` },
    } as ServiceSpec;
    const override = renderOverride([service]);
    expect(override).not.toContain(credentials.password);
    expect(override).toContain(`DATABASE_URL: \${${bindingVariable('orders.v2', 'DATABASE_URL')}}`);
    expect(bindingVariable('orders.v2', 'DATABASE_URL')).toMatch(/^[A-Za-z0-9_]+$/);
    expect(bindingVariables([service])).toEqual({ [bindingVariable('orders.v2', 'DATABASE_URL')]: service.bindingEnvironment!.DATABASE_URL });
  });
});
