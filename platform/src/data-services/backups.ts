import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';

/** One backup as `tall service backups` lists it. */
export interface BackupInfo {
  /** what `tall service restore <instance> <id>` takes */
  id: string;
  instance: string;
  /** the dump (pg_dump's custom format) */
  file: string;
  time: string;
  sizeBytes: number;
  /** of the dump, checked before a restore: a file changed or cut since is refused */
  sha256: string;
  database: string;
  /** the runtime whose server made it (either can restore it) */
  runtime: string;
}

/**
 * Backups under .tall/<env>/backups/<instance>/: <id>.dump and <id>.json beside it (what it is, when, how big, its
 * checksum). A dump is written to <id>.dump.partial and renamed only once pg_dump has succeeded, so a failed backup
 * leaves no file behind and a listed backup is always a whole one.
 */
export class Backups {
  constructor(private readonly root: string) {}

  list(instance: string): BackupInfo[] {
    const dir = join(this.root, instance);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) => {
        try {
          const info = JSON.parse(readFileSync(join(dir, name), 'utf8')) as BackupInfo;
          return existsSync(info.file) ? [info] : [];
        } catch {
          return [];
        }
      })
      .sort((a, b) => a.time.localeCompare(b.time));
  }

  find(instance: string, id: string): BackupInfo | undefined {
    const backups = this.list(instance);
    return id === 'latest' ? backups.at(-1) : backups.find((backup) => backup.id === id);
  }

  async create(instance: string, meta: { database: string; runtime: string }, dump: (file: string) => Promise<void>): Promise<BackupInfo> {
    const dir = ensurePrivateDir(join(this.root, instance));
    const now = new Date();
    const id = `${instance}-${now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\.(\d+)Z$/, '-$1')}`;
    const file = join(dir, `${id}.dump`);
    const partial = `${file}.partial`;
    try {
      writePrivateFile(partial, '');
      await dump(partial);
      renameSync(partial, file);
    } catch (error) {
      rmSync(partial, { force: true });
      throw error;
    }
    const info: BackupInfo = { id, instance, file, time: now.toISOString(), sizeBytes: statSync(file).size, sha256: await sha256(file), ...meta };
    writePrivateFile(join(dir, `${id}.json`), JSON.stringify(info, null, 2));
    return info;
  }

  remove(instance: string): void {
    rmSync(join(this.root, instance), { recursive: true, force: true });
  }
}

export function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });
}

/** 1.2 MB, 840 kB, 312 B */
export function describeSize(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} kB`;
  return `${bytes} B`;
}
