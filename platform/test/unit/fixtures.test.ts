import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureError, loadFixtures, materialize } from '../../src/labs/fixtures.js';
import type { Lab } from '../../src/labs/manifest.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A lab folder with the given fixtures (name → fixture.yaml text) and a solution with one file. */
function labWith(fixtures: Record<string, string>): Lab {
  const root = mkdtempSync(join(tmpdir(), 'tall-fixtures-'));
  roots.push(root);
  const dir = join(root, 'labs', '13-graduate');
  for (const [name, text] of Object.entries(fixtures)) {
    mkdirSync(join(dir, 'fixtures', name), { recursive: true });
    writeFileSync(join(dir, 'fixtures', name, 'fixture.yaml'), text);
  }
  const solutionDir = join(root, 'solutions', '13-graduate');
  mkdirSync(solutionDir, { recursive: true });
  writeFileSync(join(solutionDir, 'map.yaml'), 'readiness: readinessProbe\nliveness: livenessProbe\n');
  return { id: '13', slug: 'graduate', title: 'Graduate', index: 13, dir, readme: join(dir, 'README.md'), checksFile: join(dir, 'checks.ts'), solutionDir, available: true } as Lab;
}

describe('lab fixtures', () => {
  it('a variant may name the checks it is run against; a fake is run against its must_fail', () => {
    const lab = labWith({
      'variant-words': "kind: variant\nwhy: other words\nchecks: [platform-map]\nedits:\n- { file: map.yaml, replace: 'readiness: readinessProbe', with: 'readiness: a readiness probe' }\n",
      'fake-swap': "kind: fake\nwhy: swapped\nmust_fail: [platform-map]\nedits:\n- { file: map.yaml, replace: 'readiness: readinessProbe', with: 'readiness: livenessProbe' }\n",
      'variant-all': "kind: variant\nwhy: every check\nedits:\n- { file: map.yaml, replace: 'liveness: livenessProbe', with: 'liveness: a liveness probe' }\n",
    });
    const fixtures = loadFixtures(lab);
    expect(fixtures.map((fixture) => [fixture.name, fixture.mustFail, fixture.onlyChecks])).toEqual([
      ['fake-swap', ['platform-map'], []],
      ['variant-all', [], []],
      ['variant-words', [], ['platform-map']],
    ]);
    const services = materialize(fixtures[2]!, lab.solutionDir);
    roots.push(dirname(services));
    expect(readFileSync(join(services, 'map.yaml'), 'utf8')).toBe('readiness: a readiness probe\nliveness: livenessProbe\n');
  });

  it('refuses, naming the file: a fake that names "checks", checks that are not a list, a text to replace that is not there once', () => {
    expect(() => loadFixtures(labWith({ 'fake-x': "kind: fake\nwhy: x\nmust_fail: [a]\nchecks: [a]\nedits:\n- { file: map.yaml, replace: r, with: w }\n" }))).toThrow(/fake-x\/fixture.yaml: a fake is run against the checks it must fail/);
    expect(() => loadFixtures(labWith({ 'variant-x': 'kind: variant\nwhy: x\nchecks: platform-map\nedits:\n- { file: map.yaml, replace: r, with: w }\n' }))).toThrow(FixtureError);
    const lab = labWith({ 'variant-gone': "kind: variant\nwhy: x\nedits:\n- { file: map.yaml, replace: 'not in the file', with: w }\n" });
    expect(() => materialize(loadFixtures(lab)[0]!, lab.solutionDir)).toThrow(/occurs 0 times/);
  });
});
