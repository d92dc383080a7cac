// Lab 04's look for database credentials written into services/: connection strings with a password, password literals
// in code, and DATABASE_URL set in an environment file. What it reports names the file and line, never the value.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Folders that are not the learner's writing (installed packages, build output). */
const SKIP = new Set(['node_modules', 'dist', '.git', 'coverage']);
/** Text a learner writes: code, configuration, SQL, Dockerfiles, env files. */
const TEXT = /(\.(ts|mts|cts|js|mjs|cjs|json|ya?ml|sql|env|sh)|Dockerfile|\.dockerignore)$/;
/** A URL carrying a password: postgres://user:secret@host (a URL with no password, or "****", is fine). */
const URL_WITH_PASSWORD = /\bpostgres(?:ql)?:\/\/[^\s'"`@/:]*:([^\s'"`@/]+)@/i;
/** A password written as a quoted literal in code: password: 'x', password = "x", "password": "x". */
const PASSWORD_LITERAL = /\b\w*password\b["']?\s*[:=]\s*["'`][^"'`\s$]+["'`]/i;
/** A password set in an environment file: DB_PASSWORD=x, PGPASSWORD=x. */
const PASSWORD_SETTING = /^\s*\w*PASSWORD\w*\s*=\s*\S/i;

export function credentialsIn(servicesDir: string): string[] {
  const problems: string[] = [];
  for (const file of walk(servicesDir)) {
    const shown = relative(servicesDir, file);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      const where = `${shown}:${index + 1}`;
      const url = URL_WITH_PASSWORD.exec(line);
      if (url && !/^\*+$/.test(url[1]!) && !url[1]!.startsWith('$')) problems.push(`${where}: a database URL with its password written in`);
      else if (PASSWORD_LITERAL.test(line)) problems.push(`${where}: a password written in`);
      if (/\.env$/.test(file) && /^\s*DATABASE_URL\s*=/.test(line)) problems.push(`${where}: DATABASE_URL set in an environment file; the binding gives it`);
      else if (/\.env$/.test(file) && PASSWORD_SETTING.test(line)) problems.push(`${where}: a password set in an environment file`);
    });
  }
  return problems;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && TEXT.test(entry.name) && statSync(path).size < 1_000_000) yield path;
  }
}
