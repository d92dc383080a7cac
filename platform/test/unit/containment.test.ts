/**
 * What grading holds a graded project to, short of running it: the compose policy (each forbidden field named with
 * file:line:column), the ceiling on limits and replicas, the docker override's hardening, and the sandbox's argv.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/compose/parse-compose.js';
import { ComposeError } from '../../src/compose/errors.js';
import { GRADING_CEILING, holdToCeiling, type Containment } from '../../src/containment/containment.js';
import { sandboxed } from '../../src/containment/sandbox.js';
import { renderOverride } from '../../src/runtimes/docker/compose-override.js';

function composeFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'containment-'));
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'compose.yaml'), text);
  return join(dir, 'compose.yaml');
}

const containment: Containment = { sandbox: 'bubblewrap', hidden: ['/kit/solutions'], writable: ['/slot/services'], links: [], ...GRADING_CEILING };

describe('a graded compose file', () => {
  it('may not undo the containment: each refusal names where it is written', () => {
    const file = composeFile(`services:
  app:
    build: { context: ../elsewhere }
    privileged: true
    network_mode: host
    volumes: ["/:/host", "data:/data"]
    env_file: ../../solutions/secret.env
  other:
    build: ./app
    cap_add: [SYS_ADMIN]
networks:
  outside: { external: true }
volumes:
  data: {}
`);
    let error: ComposeError | undefined;
    try {
      parseCompose(file, { contained: { servicesDir: join(file, '..') } });
    } catch (thrown) {
      error = thrown as ComposeError;
    }
    expect(error).toBeInstanceOf(ComposeError);
    const problems = error!.problems.map((problem) => `${problem.line}:${problem.column} ${problem.detail}`);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^3:\d+ services\.app\.build\.context is not allowed when grading \("\.\.\/elsewhere" is outside services\/\)/),
      expect.stringMatching(/^4:\d+ services\.app\.privileged is not allowed/),
      expect.stringMatching(/^5:\d+ services\.app\.network_mode is not allowed/),
      expect.stringMatching(/^6:\d+ services\.app\.volumes\.0 is not allowed when grading \(a folder of the host mounted in\)/),
      expect.stringMatching(/^7:\d+ services\.app\.env_file\.0 is not allowed/),
      expect.stringMatching(/^10:\d+ services\.other\.cap_add is not allowed/),
      expect.stringMatching(/^12:\d+ networks\.outside\.external is not allowed/),
    ]));
    // The named volume and the build context inside the folder are fine.
    expect(problems.join('\n')).not.toMatch(/volumes\.1|services\.other\.build/);
  });

  it('is read as usual when not graded', () => {
    const file = composeFile('services:\n  app:\n    image: node\n    privileged: true\n');
    expect(parseCompose(file).services[0]!.name).toBe('app');
  });

  it('asks for no more than the ceiling, whatever it says', () => {
    const file = composeFile('services:\n  app:\n    image: node\n    deploy:\n      replicas: 50\n      resources: { limits: { memory: 8g, cpus: "4", pids: 10000 } }\n  small:\n    image: node\n    mem_limit: 64m\n');
    const project = parseCompose(file, { contained: { servicesDir: join(file, '..') } });
    holdToCeiling(project, containment);
    expect(project.services[0]).toMatchObject({ replicas: 6, limits: { memoryBytes: 512 * 1024 ** 2, cpus: 1, pids: 256 } });
    expect(project.services[1]!.limits.memoryBytes).toBe(64 * 1024 ** 2);
  });
});

describe('the containment', () => {
  it('hardens every container of a graded project (and only of a graded one)', () => {
    const file = composeFile('services:\n  built:\n    build: ./app\n  pulled:\n    image: node\n');
    const services = parseCompose(file).services;
    const hardened = renderOverride(services, containment);
    for (const line of ['read_only: true', 'cap_drop:\n      - ALL', 'no-new-privileges:true', '/tmp:size=67108864']) expect(hardened).toContain(line);
    // A build section only where there is a build: an image-only service given one would be built.
    expect(hardened.match(/network: none/g)).toHaveLength(1);
    expect(renderOverride(services)).not.toMatch(/read_only|cap_drop|no-new-privileges/);
  });

  it('wraps a student program in bubblewrap: read-only, hidden folders, its own folder writable, rlimits; untouched without it', () => {
    const argv = sandboxed(['node', 'server.mjs'], { ...containment, hidden: [tmpdir()], writable: [tmpdir()] });
    expect(argv.slice(0, 3)).toEqual(['env', '--ignore-signal=TERM,INT,HUP,QUIT', 'bwrap']);
    expect(argv.join(' ')).toMatch(/--ro-bind \/ \/ .*--tmpfs \/tmp .*--tmpfs \S+ .*--bind (\S+) \1 .*--remount-ro .*-- env --default-signal=TERM,INT,HUP,QUIT prlimit --fsize=67108864 --core=0 --nofile=1024 -- node server\.mjs$/);
    expect(sandboxed(['node', 'server.mjs'], { ...containment, sandbox: 'none' })).toEqual(['node', 'server.mjs']);
    expect(sandboxed(['node', 'server.mjs'], undefined)).toEqual(['node', 'server.mjs']);
  });
});
