import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentLab, loadProgress, recordRun, saveProgress } from '../../src/labs/progress.js';
import type { Lab, Manifest } from '../../src/labs/manifest.js';
import type { LabResult } from '../../src/labs/runner.js';

const lab = (id: string, index: number, available = true): Lab => ({
  id, slug: `lab-${id}`, title: `Lab ${id}`, index, dir: '', readme: '', checksFile: '', solutionDir: '', available,
  defaultCheckTimeoutMs: 1000, startTimeoutMs: 1000,
});
const manifest: Manifest = { file: '', labs: [lab('00', 0), lab('01', 1), lab('02', 2), lab('03', 3, false)], startDir: '', dockerFactor: 3 };

function result(id: string, ok: boolean): LabResult {
  return {
    lab: { id, slug: `lab-${id}`, title: '' }, runtime: 'process', ok, startedAt: '', durationMs: 1,
    platform: { name: 'default', started: true, startMs: 1 }, environments: [],
    checks: [{ name: 'one', title: 'one', status: ok ? 'passed' : 'failed', points: ok ? 1 : 0, maxPoints: 1, durationMs: 1, timeoutMs: 1, message: ok ? undefined : 'expected 200, saw 404', notes: [], hints: 0 }],
    points: { earned: ok ? 1 : 0, possible: 1 }, summary: { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 }, workspace: '',
  };
}

describe('progress (.tall/progress.json)', () => {
  it('a corrupt file is set aside, recreated empty, with a warning; nothing else in .tall is touched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tall-progress-'));
    const file = join(dir, 'progress.json');
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    writeFileSync(file, '{"version": 1, "labs": {"00": {"status": "done"');
    const loaded = loadProgress(file);
    expect(loaded.warning).toMatch(/could not be read: it is not valid JSON.*moved to .*progress\.json\.corrupt-.*services\/ and snapshots are untouched/);
    expect(loaded.progress).toEqual({ version: 1, labs: {} });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, labs: {} });
    const aside = readdirSync(dir).find((name) => name.startsWith('progress.json.corrupt-'))!;
    expect(readFileSync(join(dir, aside), 'utf8')).toContain('"status": "done"');
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
    expect(loadProgress(file).warning).toBeUndefined();
  });

  it('valid JSON of the wrong shape is treated the same way', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tall-progress-')), 'progress.json');
    writeFileSync(file, '[1, 2, 3]');
    expect(loadProgress(file).warning).toMatch(/does not look like a progress file/);
  });

  it('a missing file is simply empty progress (no warning, nothing written)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tall-progress-')), 'progress.json');
    expect(loadProgress(file)).toEqual({ progress: { version: 1, labs: {} } });
    expect(existsSync(file)).toBe(false);
  });

  it('records runs: a failure marks a lab started; a pass marks it done and makes the next available lab current', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tall-progress-')), 'progress.json');
    const { progress } = loadProgress(file);
    expect(currentLab(progress, manifest).id).toBe('00');
    recordRun(progress, manifest, manifest.labs[0]!, result('00', false));
    expect(progress.labs['00']).toMatchObject({ status: 'started', attempts: 1, last: { ok: false, checks: { one: 'failed' }, messages: { one: 'expected 200, saw 404' } } });
    recordRun(progress, manifest, manifest.labs[0]!, result('00', true));
    expect(progress.labs['00']).toMatchObject({ status: 'done', attempts: 2 });
    expect(currentLab(progress, manifest).id).toBe('01');
    recordRun(progress, manifest, manifest.labs[1]!, result('01', true));
    recordRun(progress, manifest, manifest.labs[2]!, result('02', true));
    // lab 03 is not written yet: the last available lab stays current
    expect(currentLab(progress, manifest).id).toBe('02');
    saveProgress(file, progress);
    expect(loadProgress(file).progress.labs['01']!.status).toBe('done');
  });
});
