import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir, openPrivate, writePrivateFile } from '../../src/util/private-files.js';
import { acquireSlot, prepareCopy } from '../../src/labs/throwaway.js';
import { takeSnapshot } from '../../src/labs/snapshots.js';
import { saveProgress } from '../../src/labs/progress.js';
import { closeSync } from 'node:fs';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('what the platform keeps under .tall/ is its owner\'s only', () => {
  let umask: number;
  // The worst case for modes given at creation: a umask that takes nothing away.
  beforeEach(() => void (umask = process.umask(0o000)));
  afterEach(() => void process.umask(umask));

  it('ensurePrivateDir makes new folders 0700, fixes the one asked for, and leaves parents it did not create', () => {
    const base = mkdtempSync(join(tmpdir(), 'tall-private-'));
    chmodSync(base, 0o755);
    const deep = join(base, '.tall', 'default');
    ensurePrivateDir(deep);
    expect([mode(base), mode(join(base, '.tall')), mode(deep)]).toEqual(['755', '700', '700']);
    const old = join(base, 'old');
    mkdirSync(old, { mode: 0o777 });
    ensurePrivateDir(old);
    expect(mode(old)).toBe('700');
  });

  it('writePrivateFile and openPrivate make 0600 files, also over an older, open file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tall-private-'));
    writeFileSync(join(dir, 'old.log'), 'x', { mode: 0o644 });
    closeSync(openPrivate(join(dir, 'old.log'), 'a'));
    writePrivateFile(join(dir, 'state.json'), '{}');
    expect([mode(join(dir, 'old.log')), mode(join(dir, 'state.json'))]).toEqual(['600', '600']);
  });

  it('check slots, snapshots and progress are private', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tall-private-'));
    const services = join(work, 'services');
    mkdirSync(join(services, 'catalog'), { recursive: true });
    writeFileSync(join(services, 'compose.yaml'), 'services: {}\n');
    const tallDir = join(work, '.tall');
    saveProgress(join(tallDir, 'progress.json'), { version: 1, labs: {} } as never);
    expect([mode(tallDir), mode(join(tallDir, 'progress.json'))]).toEqual(['700', '600']);
    const slot = await acquireSlot(join(tallDir, 'checks'));
    prepareCopy(slot, services);
    expect([mode(join(tallDir, 'checks')), mode(slot.root), mode(join(slot.root, 'lock.json')), mode(slot.stateDir)]).toEqual(['700', '700', '600', '700']);
    slot.release();
    const snapshot = takeSnapshot(join(tallDir, 'snapshots'), services, 'test');
    expect([mode(join(tallDir, 'snapshots')), mode(snapshot.dir), mode(join(snapshot.dir, 'snapshot.json'))]).toEqual(['700', '700', '600']);
  });
});
