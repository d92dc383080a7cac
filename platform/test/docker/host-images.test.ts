import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../../src/runtimes/docker/docker-runtime.js';

/** The images .ci/install-docker.sh builds from this machine's files (platform/src/runtimes/docker/host-images). */

const docker = await dockerAvailable();
const hasImage = (image: string) => docker.ok && spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;
const hasPsql = spawnSync('psql', ['--version'], { stdio: 'ignore' }).status === 0;

function why(image: string, extra = true, extraReason = ''): string {
  if (!docker.ok) return ` — SKIPPED: ${docker.problem}`;
  if (!hasImage(image)) return ` — SKIPPED: no ${image} image (build it: platform/src/runtimes/docker/host-images/build-host-images.sh)`;
  if (!extra) return ` — SKIPPED: ${extraReason}`;
  return '';
}

function run(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const containers: string[] = [];
afterAll(() => {
  if (containers.length > 0) spawnSync('docker', ['rm', '--force', '--volumes', ...containers], { stdio: 'ignore' });
});

describe.skipIf(!hasImage('tall/node:20'))(`tall/node:20${why('tall/node:20')}`, () => {
  it('runs node as the host does, with a non-root node user, sh and a wget whose -T does not crash', () => {
    expect(run(['run', '--rm', '--network', 'none', 'tall/node:20', 'node', '-e', 'console.log(process.version)']).trim()).toBe(process.version);
    expect(run(['run', '--rm', '--network', 'none', '--user', 'node', 'tall/node:20', 'sh', '-c', 'id -un; echo $HOME']).trim()).toBe('node\n/home/node');
    // busybox 1.35 wget segfaults on -T; the image's wget wrapper must turn that into a plain failure (1), not 139
    const wget = spawnSync('docker', ['run', '--rm', '--network', 'none', 'tall/node:20', 'sh', '-c', 'wget -q -T 1 -O- http://127.0.0.1:9/'], { encoding: 'utf8' });
    expect(wget.status).toBe(1);
  });
});

describe.skipIf(!hasImage('tall/postgres:15') || !hasPsql)(`tall/postgres:15${why('tall/postgres:15', hasPsql, 'no psql client on this machine')}`, () => {
  it('initialises POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB and takes password logins on a loopback port', async () => {
    const id = run([
      'run', '--detach', '--init',
      '--env', 'POSTGRES_USER=shop', '--env', 'POSTGRES_PASSWORD=s3cret', '--env', 'POSTGRES_DB=orders',
      '--publish', '127.0.0.1::5432',
      'tall/postgres:15',
    ]).trim();
    containers.push(id);
    const port = Number(run(['port', id, '5432/tcp']).trim().split('\n')[0]!.split(':').pop());
    expect(port).toBeGreaterThan(0);

    const psql = (password: string, sql: string) =>
      spawnSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'shop', '-d', 'orders', '-tAc', sql], {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '3' },
      });
    const deadline = Date.now() + 30_000;
    let answer = psql('s3cret', 'select current_user, current_database()');
    while (answer.status !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      answer = psql('s3cret', 'select current_user, current_database()');
    }
    expect(answer.stderr).toBe('');
    expect(answer.stdout.trim()).toBe('shop|orders');
    const wrong = psql('wrong', 'select 1');
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed/);
    // postgres runs as the non-root postgres user
    expect(run(['exec', id, 'sh', '-c', 'ps -o user,comm | grep -m1 postgres']).trim()).toMatch(/^postgres\s+postgres/);
  });

  it('refuses to initialise without a password, like the official image', () => {
    const result = spawnSync('docker', ['run', '--rm', 'tall/postgres:15'], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/POSTGRES_PASSWORD/);
  });
});
