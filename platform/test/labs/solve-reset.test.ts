// tall solve / tall reset: snapshot first, refuse over unsaved work without --force, keep node_modules and dist.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labPaths } from '../../src/labs/lab-paths.js';
import { findSnapshot, listSnapshots } from '../../src/labs/snapshots.js';
import { RefusedError, replaceServices } from '../../src/labs/solve-reset.js';
import { listFiles } from '../../src/labs/tree.js';
import { TallSandbox } from '../support/tall-cli.js';

const MANIFEST = `labs:
  - { id: "00", slug: first, title: First, topic: t, feature: none }
  - { id: "01", slug: second, title: Second, topic: t, feature: none }
`;

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A kit in a fresh git repository: services/ committed, two solutions, a start state. */
function kit(git = true): string {
  const root = mkdtempSync(join(tmpdir(), 'tall-solve-'));
  write(root, {
    'labs/manifest.yaml': MANIFEST,
    'services/compose.yaml': 'services: {}\n',
    'services/shop/a.txt': 'start a\n',
    'services/shop/old.txt': 'only at the start\n',
    'solutions/start/compose.yaml': 'services: {}\n',
    'solutions/start/shop/a.txt': 'start a\n',
    'solutions/start/shop/old.txt': 'only at the start\n',
    'solutions/00-first/compose.yaml': 'services: {}\n',
    'solutions/00-first/shop/a.txt': 'solved a\n',
    'solutions/00-first/shop/new.txt': 'new in the solution\n',
    '.gitignore': 'node_modules/\ndist/\n.tall/\n',
  });
  if (git) {
    const run = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe' });
    run('init', '-q');
    run('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.');
    run('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'start');
  }
  // noise that must survive: installed packages and build output
  write(root, { 'services/shop/node_modules/dep/index.js': 'installed', 'services/shop/dist/index.cjs': 'built' });
  return root;
}

describe('solve and reset', () => {
  it('over committed work: snapshot, then services/ becomes the solution; node_modules and dist stay', async () => {
    const root = kit();
    const paths = labPaths(root);
    const result = await replaceServices(paths, join(root, 'solutions/00-first'), 'the solution of lab 00', { force: false, reason: 'before-solve-00', command: 'tall solve 00' });
    expect(result.work.kind).toBe('clean');
    expect(listFiles(paths.services)).toEqual(['compose.yaml', 'shop/a.txt', 'shop/new.txt']);
    expect(readFileSync(join(paths.services, 'shop/a.txt'), 'utf8')).toBe('solved a\n');
    expect(result.removed).toEqual(['shop/old.txt']);
    expect(readFileSync(join(paths.services, 'shop/node_modules/dep/index.js'), 'utf8')).toBe('installed');
    expect(existsSync(join(paths.services, 'shop/dist/index.cjs'))).toBe(true);
    expect(listFiles(result.snapshot.services)).toEqual(['compose.yaml', 'shop/a.txt', 'shop/old.txt']);
  });

  it('refuses over uncommitted changes, explains, and changes nothing; --force proceeds and the snapshot restores them', async () => {
    const root = kit();
    const paths = labPaths(root);
    writeFileSync(join(paths.services, 'shop/a.txt'), 'my unsaved work\n');
    const attempt = replaceServices(paths, join(root, 'solutions/00-first'), 'the solution of lab 00', { force: false, reason: 'before-solve-00', command: 'tall solve 00' });
    await expect(attempt).rejects.toBeInstanceOf(RefusedError);
    await expect(attempt).rejects.toThrow(/services\/ has changes git has not saved.*services\/shop\/a\.txt/s);
    expect(readFileSync(join(paths.services, 'shop/a.txt'), 'utf8')).toBe('my unsaved work\n');
    expect(listSnapshots(paths.snapshotsDir)).toEqual([]);

    const forced = await replaceServices(paths, join(root, 'solutions/00-first'), 'the solution of lab 00', { force: true, reason: 'before-solve-00', command: 'tall solve 00' });
    expect(forced.work).toMatchObject({ kind: 'uncommitted', files: ['services/shop/a.txt'] });
    expect(readFileSync(join(forced.snapshot.services, 'shop/a.txt'), 'utf8')).toBe('my unsaved work\n');

    const snapshot = findSnapshot(paths.snapshotsDir, 'latest')!;
    expect(snapshot.id).toBe(forced.snapshot.id);
    await replaceServices(paths, snapshot.services, `snapshot ${snapshot.id}`, { force: true, reason: 'before-restore', command: 'tall reset --snapshot' });
    expect(readFileSync(join(paths.services, 'shop/a.txt'), 'utf8')).toBe('my unsaved work\n');
    expect(listFiles(paths.services)).toEqual(['compose.yaml', 'shop/a.txt', 'shop/old.txt']);
  });

  it('outside a git checkout it cannot tell, so it proceeds and says so; the snapshot still has the work', async () => {
    const root = kit(false);
    const result = await replaceServices(labPaths(root), join(root, 'solutions/00-first'), 'the solution of lab 00', { force: false, reason: 'x', command: 'tall solve 00' });
    expect(result.work.kind).toBe('unknown');
    expect(listFiles(result.snapshot.services)).toContain('shop/old.txt');
  });

  it('the CLI: solve refuses with a fix, reset goes back to the start, an unknown lab lists the labs', async () => {
    const root = kit();
    const tall = new TallSandbox(root);
    writeFileSync(join(root, 'services/shop/a.txt'), 'unsaved\n');
    const refused = await tall.run(['solve', '00']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: services\/ has changes git has not saved.*fix: commit them first.*--force/s);

    const solved = await tall.json<{ snapshot: string; written: string[]; current: string }>(['solve', '00', '--force']);
    expect(solved.written).toContain('shop/new.txt');
    expect(readFileSync(join(root, 'services/shop/a.txt'), 'utf8')).toBe('solved a\n');
    const labs = await tall.json<{ current: string; labs: { id: string; status: string }[] }>(['labs']);
    expect(labs.labs[0]!.status).toBe('solved');

    const reset = await tall.json<{ current: string }>(['reset', '00', '--force']);
    expect(reset.current).toBe('00');
    expect(listFiles(join(root, 'services'))).toEqual(['compose.yaml', 'shop/a.txt', 'shop/old.txt']);
    const snapshots = await tall.json<{ snapshots: { id: string; reason: string }[] }>(['reset', '--snapshot']);
    expect(snapshots.snapshots.map((s) => s.reason)).toEqual(['before-reset-00', 'before-solve-00']);

    const unknown = await tall.run(['solve', '42']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no lab "42". The labs:\s+00\s+first.*\n\s+01\s+second.*\nfix: name one by its number, e.g. "npx tall solve 01"/);
    const diff = await tall.json<{ same: boolean; files: { file: string; kind: string }[] }>(['diff', '00']);
    expect(diff.files.map((f) => `${f.kind} ${f.file}`)).toEqual(['changed shop/a.txt', 'only-in-solution shop/new.txt', 'only-in-yours shop/old.txt']);
  });
});
