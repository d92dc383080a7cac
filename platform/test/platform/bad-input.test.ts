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

/** The line the tests below add "extends: base" on: the one after the fixture's stop_grace_period. */
const EXTENDS_LINE = readFileSync(join(MINI, 'services/compose.yaml'), 'utf8').split('\n').indexOf('    stop_grace_period: 3s') + 2;

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

  it('"tall up" prints every problem of a compose file, and the warnings gathered before them', async () => {
    const tall = new TallSandbox(fixtureCopy((text) => text.replace('    stop_grace_period: 3s', '    stop_grace_period: 3s\n    extends: base\n    healthcheck: { test: 42, retries: lots }')));
    const up = await tall.run(['up', '--runtime', 'process']);
    expect(up.code).toBe(1);
    const warning = up.stderr.indexOf(`warning: services/compose.yaml:${EXTENDS_LINE}:5: service "echo": "extends" is not supported`);
    const testError = up.stderr.indexOf(`services/compose.yaml:${EXTENDS_LINE + 1}:20: service "echo": healthcheck.test must be a string or a list of strings (got a number)`);
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(testError).toBeGreaterThan(warning);
    expect(up.stderr).toContain(`error: services/compose.yaml:${EXTENDS_LINE + 1}:30: service "echo": healthcheck.retries must be a whole number, got "lots"`);
    expect((await tall.run(['ps'])).code).toBe(1);
  });

  it('"tall config" prints the resolved services with the environment\'s variables, and starts nothing', async () => {
    const tall = new TallSandbox();
    const json = await tall.json<{ ok: boolean; services: { name: string; replicas: number; environment: Record<string, string> }[]; warnings: unknown[] }>(['config', '--env', 'staging']);
    expect(json.ok).toBe(true);
    expect(json.services.map((s) => [s.name, s.replicas])).toEqual([['echo', 2], ['slow', 1]]);
    expect(json.services[0]!.environment.GREETING).toBe('hello-from-staging');
    expect(json.warnings).toEqual([]);
    const human = await tall.run(['config']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^services:\n {2}echo:\n/m);
    expect(human.stdout).toContain('GREETING: hello\n');
    expect((await tall.run(['ps'])).code).toBe(1);
  });

  it('"tall config" lists every problem with file:line:column, with the warnings; exit code 1', async () => {
    const tall = new TallSandbox(fixtureCopy((text) => text.replace('    stop_grace_period: 3s', '    stop_grace_period: 3s\n    extends: base\n    healthcheck: { test: 42, retries: lots }')));
    const human = await tall.run(['config']);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`warning: services/compose.yaml:${EXTENDS_LINE}:5: service "echo": "extends" is not supported`);
    expect(human.stderr).toMatch(new RegExp(`error: services/compose\\.yaml:${EXTENDS_LINE + 1}:20: .*healthcheck\\.test[^\\n]*\\nerror: services/compose\\.yaml:${EXTENDS_LINE + 1}:30: .*healthcheck\\.retries`));
    const run = await tall.run(['config', '--json']);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as { ok: boolean; errors: { line: number; column: number; message: string }[]; warnings: { line: number; message: string }[] };
    expect(json.ok).toBe(false);
    expect(json.errors.map((e) => `${e.line}:${e.column}`)).toEqual([`${EXTENDS_LINE + 1}:20`, `${EXTENDS_LINE + 1}:30`]);
    expect(json.warnings.map((w) => w.line)).toEqual([EXTENDS_LINE]);
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
    const withHelp = await tall.run(['frobnicate', '--help']);
    expect(withHelp.code).toBe(2);
    expect(withHelp.stderr).toMatch(/unknown command 'frobnicate'\. The verbs: doctor, config, up/);
    expect(withHelp.stdout).toBe('');
    expect((await tall.run(['ps', '--help'])).code).toBe(0);
  });
});
