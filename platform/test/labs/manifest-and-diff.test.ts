import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/labs/diff.js';
import { KIT_ROOT, labPaths } from '../../src/labs/lab-paths.js';
import { findLab, loadManifest, startingStateDir } from '../../src/labs/manifest.js';

function manifestIn(text: string) {
  const root = mkdtempSync(join(tmpdir(), 'tall-manifest-'));
  mkdirSync(join(root, 'labs'));
  writeFileSync(join(root, 'labs', 'manifest.yaml'), text);
  return () => loadManifest(labPaths(root));
}

describe('lab manifest', () => {
  it("the kit's manifest: 14 labs in order, each lab starting from the previous solution", () => {
    const manifest = loadManifest(labPaths(KIT_ROOT, KIT_ROOT));
    expect(manifest.labs.map((lab) => lab.id)).toEqual(['00', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13']);
    const lab01 = findLab(manifest, '1')!;
    expect(lab01.slug).toBe('rapid-deployment');
    expect(lab01.defaultCheckTimeoutMs).toBe(15_000);
    expect(startingStateDir(manifest, lab01)).toBe(join(KIT_ROOT, 'solutions', '00-get-tall'));
    expect(startingStateDir(manifest, findLab(manifest, '00')!)).toBe(join(KIT_ROOT, 'solutions', 'start'));
    expect(manifest.labs.filter((lab) => lab.available).map((lab) => lab.id)).toEqual(['00', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13']);
    expect(startingStateDir(manifest, findLab(manifest, '07')!)).toBe(join(KIT_ROOT, 'solutions', '06-failover'));
    expect(startingStateDir(manifest, findLab(manifest, '08')!)).toBe(join(KIT_ROOT, 'solutions', '07-resilience'));
    expect(startingStateDir(manifest, findLab(manifest, '11')!)).toBe(join(KIT_ROOT, 'solutions', '10-asynchronicity'));
    expect(startingStateDir(manifest, findLab(manifest, '12')!)).toBe(join(KIT_ROOT, 'solutions', '11-contract-tests'));
    expect(startingStateDir(manifest, findLab(manifest, '13')!)).toBe(join(KIT_ROOT, 'solutions', '12-continuous-delivery'));
  });

  it('finds a lab by number, padded number, folder name or slug; nothing for an unknown one', () => {
    const manifest = loadManifest(labPaths(KIT_ROOT, KIT_ROOT));
    for (const ref of ['3', '03', '03-routing-and-load-balancing', 'routing-and-load-balancing']) expect(findLab(manifest, ref)?.id).toBe('03');
    expect(findLab(manifest, '42')).toBeUndefined();
    expect(findLab(manifest, 'nope')).toBeUndefined();
  });

  it('says what is wrong with a broken manifest', () => {
    expect(manifestIn('labs: [{ id: 1, slug: a, title: A }, { id: "01", slug: b, title: B }]')).toThrow(/lab 01 is listed twice/);
    expect(manifestIn('labs:\n  - { id: "00", slug: Not_Kebab, title: A }')).toThrow(/slug must be kebab-case/);
    // A check's points and time limit have one place: the check, in checks.ts.
    expect(manifestIn('labs:\n  - { id: "00", slug: a, title: A, checks: { x: { points: 1 } } }')).toThrow(/written on the check itself, in 00-a\/checks.ts/);
    expect(manifestIn('defaults: { check_timeout: soon }\nlabs:\n  - { id: "00", slug: a, title: A }')).toThrow(/"soon" is not a duration/);
    expect(manifestIn('nothing: here')).toThrow(/needs a top-level "labs:" list/);
  });
});

describe('unified diff', () => {
  it('shows changed lines with context and line numbers', () => {
    const lines = 'abcdefghijklm'.split('');
    const before = lines.join('\n') + '\n';
    const after = [...lines.slice(0, 3), 'D', ...lines.slice(4), 'n'].join('\n') + '\n';
    expect(unifiedDiff(before, after)).toEqual(['@@ -1,7 +1,7 @@', ' a', ' b', ' c', '-d', '+D', ' e', ' f', ' g', '@@ -11,3 +11,4 @@', ' k', ' l', ' m', '+n']);
    // changes closer than twice the context share one hunk
    expect(unifiedDiff('a\nb\nc\n', 'A\nb\nC\n')).toEqual(['@@ -1,3 +1,3 @@', '-a', '+A', ' b', '-c', '+C']);
  });

  it('a new file is all additions; identical text has no hunks', () => {
    expect(unifiedDiff('', 'x\ny\n')).toEqual(['@@ -0,0 +1,2 @@', '+x', '+y']);
    expect(unifiedDiff('same\n', 'same\n')).toEqual([]);
  });
});
