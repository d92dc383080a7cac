/**
 * Who is graded and where their work is: a roster CSV (student id, name, repository — a local path or a git URL), as
 * GitHub Classroom and LMS exports give it, or a folder with one clone per student (the folder's name is the id).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { UserError } from '../control-plane/user-error.js';

export interface RosterEntry {
  id: string;
  name: string;
  /** an absolute path, or a git URL */
  repository: string;
}

/** Column names people use for each field; the first one found wins. */
const COLUMNS = {
  id: ['id', 'student_id', 'student id', 'identifier', 'github_username', 'username', 'login', 'email'],
  name: ['name', 'student', 'full name', 'roster_identifier'],
  repository: ['repository', 'repo', 'url', 'repository_url', 'student_repository_url', 'path', 'folder'],
};
/** An id becomes a file name (feedback/<id>.html): letters, digits and a few separators. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/;

export function readRoster(source: string): RosterEntry[] {
  const path = resolve(source);
  if (!existsSync(path)) throw new UserError(`no roster at ${source}`, 'give a CSV file (id,name,repository) or a folder with one clone per student');
  const entries = statSync(path).isDirectory() ? fromFolder(path) : fromCsv(path);
  if (entries.length === 0) throw new UserError(`${source} lists no students`, 'add a row per student: id,name,repository');
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) throw new UserError(`${source}: student id "${entry.id}" appears twice`, 'give every student one row');
    seen.add(entry.id);
  }
  return entries;
}

function fromFolder(dir: string): RosterEntry[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => ({ id: checkedId(entry.name, `${dir}/${entry.name}`), name: entry.name, repository: join(dir, entry.name) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function fromCsv(file: string): RosterEntry[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(file, 'utf8'), { columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true, info: false });
  } catch (error) {
    const where = (error as { lines?: number }).lines;
    throw new UserError(`${file}${where ? `:${where}` : ''}: not a CSV file the grader can read: ${(error as Error).message}`, 'save the roster as CSV with a header row: id,name,repository');
  }
  const header = Object.keys(rows[0] ?? {});
  const column = (field: keyof typeof COLUMNS) => COLUMNS[field].find((name) => header.includes(name));
  const idColumn = column('id');
  const repositoryColumn = column('repository');
  if (!idColumn || !repositoryColumn) {
    throw new UserError(`${file}: the header (${header.join(', ')}) has no ${!idColumn ? 'student id' : 'repository'} column`, `name the columns ${COLUMNS.id[0]},${COLUMNS.name[0]},${COLUMNS.repository[0]}`);
  }
  const nameColumn = column('name');
  return rows.map((row, n) => {
    const where = `${file}:${n + 2}`;
    const repository = row[repositoryColumn] ?? '';
    if (!repository) throw new UserError(`${where}: no repository for "${row[idColumn]}"`, 'give a local path or a git URL');
    return {
      id: checkedId(row[idColumn] ?? '', where),
      name: (nameColumn && row[nameColumn]) || row[idColumn]!,
      repository: isGitUrl(repository) || isAbsolute(repository) ? repository : resolve(dirname(file), repository),
    };
  });
}

function checkedId(id: string, where: string): string {
  if (!ID.test(id)) throw new UserError(`${where}: "${id}" can't be a student id`, 'use letters, digits, ".", "_", "-", "@" or "+" (it names the student\'s feedback files)');
  return id;
}

/** https://…, ssh://…, git@host:path, file://… */
export function isGitUrl(value: string): boolean {
  return /^(https?|ssh|git|file):\/\//.test(value) || /^[\w.-]+@[\w.-]+:/.test(value);
}
