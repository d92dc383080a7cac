import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINI, TallSandbox } from '../support/tall-cli.js';
import { RUNTIMES } from '../support/docker-engine.js';
import { freePort } from '../../src/util/ports.js';

/** A copy of the fixture system whose compose file a test may break. */
function fixtureCopy(edit: (compose: string) => string): string {
  const root = mkdtempSync(join(tmpdir(), 'tall-fixture-'));
  cpSync(MINI, root, { recursive: true });
  const file = join(root, 'services/compose.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return root;
}

describe('bad input gets a clear error', () => {
  it('a YAML error names file:line:column, and nothing starts', async () => {
    const tall = new TallSandbox(fixtureCopy((text) => text.replace('    expose: ["3000"]\n    stop_grace_period', '    expose: ["3000"\n    stop_grace_period')));
    const up = await tall.run(['up', '--runtime', 'process']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/services\/compose\.yaml:\d+:\d+: .+/);
    expect(up.stderr).toMatch(/fix the compose file/);
    expect((await tall.run(['ps'])).code).toBe(1);
  });

  it.each(RUNTIMES)('$runtime runtime: a service that crashes at start fails "up" quickly, naming it and showing its last log lines; an unsupported field is warned about', async ({ runtime, available }) => {
    if (!available) return;
    const tall = new TallSandbox(fixtureCopy((text) => text.replace('    stop_grace_period: 3s', '    stop_grace_period: 3s\n    privileged: true')), { TALL_PORT: String(await freePort()) });
    const started = Date.now();
    const up = await tall.run(['up', '--runtime', runtime], { CRASH_AT_START: 'yes' });
    expect(up.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(up.stderr).toMatch(/warning: services\/compose\.yaml:\d+:\d+: service "echo": "privileged" is not supported/);
    expect(up.stderr).toMatch(/could not start: echo\/\d exited with code 3 while starting/);
    expect(up.stderr).toContain('| echo: refusing to start (CRASH_AT_START=yes)');
    expect(up.stderr).toMatch(/fix service "echo"/);
    expect((await tall.run(['ps'])).code).toBe(1);
  });

  it('a router port in use is named, with the fix', async () => {
    const port = await freePort();
    const blocker = net.createServer().listen(port, '127.0.0.1');
    try {
      const tall = new TallSandbox();
      const up = await tall.run(['up', '--runtime', 'process', '--port', String(port)]);
      expect(up.code).toBe(1);
      expect(up.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(up.stderr).toMatch(/--port <n> or TALL_PORT/);
    } finally {
      blocker.close();
    }
  });

  it('--runtime docker without an engine says so and offers the process runtime', async () => {
    const tall = new TallSandbox();
    const up = await tall.run(['up', '--runtime', 'docker'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/--runtime docker: .*engine/i);
    expect(up.stderr).toContain('--runtime process');
  });

  it('an unknown runtime or verb is a usage error', async () => {
    const tall = new TallSandbox();
    expect((await tall.run(['up', '--runtime', 'kubernetes'])).code).toBe(2);
    expect((await tall.run(['frobnicate'])).code).toBe(2);
  });
});
