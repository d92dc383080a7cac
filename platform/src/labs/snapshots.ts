/**
 * Snapshots of the learner's services/ in .tall/snapshots/<time>-<why>/: taken before `tall solve` or `tall reset`
 * replaces their work, and restorable with `tall reset --snapshot <id>`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyTree, listFiles } from './tree.js';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';

export interface Snapshot {
  id: string;
  dir: string;
  /** the copy of services/ */
  services: string;
  createdAt: string;
  reason: string;
  files: number;
}

export function takeSnapshot(snapshotsDir: string, servicesDir: string, reason: string): Snapshot {
  const createdAt = new Date().toISOString();
  const stamp = createdAt.replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let id = `${stamp}-${reason.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  for (let n = 2; existsSync(join(snapshotsDir, id)); n++) id = `${id.replace(/~\d+$/, '')}~${n}`;
  const dir = join(snapshotsDir, id);
  const services = join(dir, 'services');
  // The copy inside keeps its files' own modes: no one else can get past these folders.
  ensurePrivateDir(snapshotsDir);
  ensurePrivateDir(services);
  const files = copyTree(servicesDir, services);
  const snapshot: Snapshot = { id, dir, services, createdAt, reason, files };
  writePrivateFile(join(dir, 'snapshot.json'), `${JSON.stringify({ id, createdAt, reason, files }, null, 2)}\n`);
  return snapshot;
}

/** Newest first. */
export function listSnapshots(snapshotsDir: string): Snapshot[] {
  if (!existsSync(snapshotsDir)) return [];
  return readdirSync(snapshotsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(snapshotsDir, entry.name, 'services')))
    .map((entry) => {
      const dir = join(snapshotsDir, entry.name);
      let meta: Partial<Snapshot> = {};
      try {
        meta = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as Partial<Snapshot>;
      } catch {
        // a snapshot without its note is still a snapshot
      }
      return {
        id: entry.name,
        dir,
        services: join(dir, 'services'),
        createdAt: meta.createdAt ?? '',
        reason: meta.reason ?? '',
        files: meta.files ?? listFiles(join(dir, 'services')).length,
      };
    })
    // By the time taken to the millisecond: two snapshots in one second must still list newest first.
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

export function findSnapshot(snapshotsDir: string, ref: string): Snapshot | undefined {
  const all = listSnapshots(snapshotsDir);
  if (ref === 'latest') return all[0];
  return all.find((snapshot) => snapshot.id === ref) ?? all.filter((snapshot) => snapshot.id.startsWith(ref)).at(0);
}
