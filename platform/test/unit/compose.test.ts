import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/compose/errors.js';
import { interpolate } from '../../src/compose/interpolate.js';
import { parseCompose } from '../../src/compose/parse-compose.js';
import { parseDuration } from '../../src/compose/duration.js';

function composeFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, text);
  return file;
}

describe('interpolation', () => {
  // The forms and their results: compose-hostile.test.ts, "interpolation like Compose".
  const env = { SET: 'value', EMPTY: '' };

  it('fails with the message for ${VAR:?message}', () => {
    expect(() => interpolate('${DB_PASSWORD:?set a password}', env)).toThrow(/DB_PASSWORD.*set a password/);
  });
});

describe('durations', () => {
  it('reads Compose durations', () => {
    expect(parseDuration('1m30s', 0)).toBe(90_000);
    expect(parseDuration('500ms', 0)).toBe(500);
    expect(parseDuration(undefined, 7)).toBe(7);
    expect(() => parseDuration('soon', 0)).toThrow(/not a duration/);
  });
});

describe('parseCompose', () => {
  it('names file, line and column for a YAML error', () => {
    const file = composeFile('services:\n  web:\n    image: x\n   bad: [\n');
    try {
      parseCompose(file);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ComposeError);
      expect((error as ComposeError).line).toBe(4);
      expect((error as Error).message).toMatch(/compose\.yaml:4:\d+: /);
    }
  });

  it('warns, naming the field and line, about fields the kit does not support', () => {
    const file = composeFile('services:\n  web:\n    image: x\n    privileged: true\n    ports: ["8080:3000"]\n');
    const project = parseCompose(file);
    expect(project.warnings.map((w) => [w.line, w.message])).toEqual([
      [4, expect.stringContaining('"privileged" is not supported')],
      [5, expect.stringContaining('ports are ignored')],
    ]);
  });

  it('normalizes the supported subset: merge keys, interpolation, replicas, healthcheck, depends_on, x-tall', () => {
    const file = composeFile(`
x-common: &common
  environment:
    MODE: \${MODE:-dev}
services:
  api:
    <<: *common
    build: ./api
    expose: ["4000"]
    deploy: { replicas: 3 }
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
      retries: 5
    depends_on: [db]
    x-tall:
      readiness: /ready
      balance: least-connection
  db:
    image: postgres
    profiles: [data]
`);
    const project = parseCompose(file, { env: { MODE: 'prod' }, profiles: ['data'] });
    const api = project.services.find((s) => s.name === 'api')!;
    expect(api.environment.MODE).toBe('prod');
    expect(api.containerPort).toBe(4000);
    expect(api.replicas).toBe(3);
    expect(api.healthcheck).toMatchObject({ test: ['CMD', 'true'], intervalMs: 2000, retries: 5 });
    expect(api.dependsOn).toEqual({ db: 'service_started' });
    expect(api.tall).toMatchObject({ balance: 'least-connection', route: 'api', readiness: { path: '/ready' } });
    expect(parseCompose(file).services.map((s) => s.name)).toEqual(['api']); // db's profile is not active
  });

  it('rejects bad values with the line they are on', () => {
    const file = composeFile('services:\n  web:\n    image: x\n    deploy:\n      replicas: -2\n');
    expect(() => parseCompose(file)).toThrow(/compose\.yaml:5:7: service "web": deploy.replicas must be a whole number/);
    const unknownDependency = composeFile('services:\n  web:\n    image: x\n    depends_on: [nope]\n');
    expect(() => parseCompose(unknownDependency)).toThrow(/depends on "nope", which is not a service/);
  });

  it('parses the shop shipped in services/', () => {
    const project = parseCompose(join(import.meta.dirname, '../../../services/compose.yaml'));
    expect(project.services.map((s) => s.name).sort()).toEqual(['catalog', 'notifier', 'orders', 'payment', 'web']);
    expect(project.warnings).toEqual([]);
  });
});
