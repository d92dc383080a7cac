import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/compose/parse-compose.js';
import { DEFAULT_RESOURCE_LIMITS, parseBytes } from '../../src/compose/resource-limits.js';
import { renderOverride } from '../../src/runtimes/docker/compose-override.js';

function services(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'limits-'));
  writeFileSync(join(dir, 'compose.yaml'), text);
  return parseCompose(join(dir, 'compose.yaml')).services;
}

describe('resource limits', () => {
  it('reads deploy.resources.limits or the service-level fields, and gives every other service the safe defaults', () => {
    const [deploy, flat, none] = services(`
services:
  deploy:
    image: node
    deploy: { resources: { limits: { memory: 256M, cpus: "0.5", pids: 50 } } }
  flat:
    image: node
    mem_limit: 1g
    cpus: 2
    pids_limit: 10
  none:
    image: node
`);
    expect(deploy!.limits).toEqual({ memoryBytes: 256 * 1024 ** 2, cpus: 0.5, pids: 50 });
    expect(flat!.limits).toEqual({ memoryBytes: 1024 ** 3, cpus: 2, pids: 10 });
    expect(none!.limits).toEqual(DEFAULT_RESOURCE_LIMITS);
  });

  it('names the line of a limit that makes no sense', () => {
    expect(() => services(`
services:
  x:
    image: node
    deploy:
      resources:
        limits:
          memory: lots
`)).toThrow(/compose.yaml:8:\d+: service "x": "lots" is not an amount of memory/);
    expect(() => services('services:\n  x:\n    image: node\n    pids_limit: -1\n')).toThrow(/compose.yaml:4:\d+: .*pids_limit must be a whole number greater than 0/);
  });

  it('parses Compose byte values', () => {
    expect([parseBytes('512m'), parseBytes('1.5g'), parseBytes('256MB'), parseBytes(1000)]).toEqual([512 * 1024 ** 2, 1.5 * 1024 ** 3, 256 * 1024 ** 2, 1000]);
  });

  it('the docker override gives every container its limits, in the form Compose compares with the file', () => {
    const [service] = services('services:\n  x:\n    image: node\n    mem_limit: 256m\n');
    const override = renderOverride([service!]);
    expect(override).toMatch(/resources:\n\s+limits:\n\s+memory: "268435456"\n\s+cpus: "1"\n\s+pids: 256/);
    expect(override).toMatch(/memswap_limit: 268435456/);
  });
});
