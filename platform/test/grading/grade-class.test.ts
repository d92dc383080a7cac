/**
 * `tall grade` end to end, on a class of real git repositories made here: solved, half-solved, late, one that edited
 * the checks, and the hostile kinds (hangs, crash-loops, floods its output, forks without end, eats memory, listens on
 * every interface, writes outside its folder, reads the published solution, ships a huge file, links out of its tree).
 * Graded with a two-lab kit (platform/test/fixtures/class/kit) on both runtimes, through the real CLI.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GradeReport, StudentGrade } from '../../src/grading/grade-report.js';
import { findChromium, launchChromium } from '../../src/slides/chromium.js';
import { RUNTIMES } from '../support/docker-engine.js';
import { REPO, TALL } from '../support/tall-cli.js';

const FIXTURE = join(REPO, 'platform/test/fixtures/class');
const KIT = join(FIXTURE, 'kit');
const STUDENTS = join(FIXTURE, 'students');
const DEADLINE = '2026-06-01T00:00:00Z';
const ON_TIME = '2026-05-20T12:00:00Z';
const LATE = '2026-06-02T12:00:00Z';

interface Student {
  id: string;
  base: 'start' | '00-greet' | '01-version';
  /** a hostile server.mjs from fixtures/class/students/ */
  server?: string;
  date?: string;
  change?: (repo: string) => void;
}

const CLASS: Student[] = [
  { id: 'solved', base: '01-version' },
  { id: 'half', base: '00-greet' },
  { id: 'late', base: '01-version', date: LATE },
  {
    id: 'edited-checks', base: 'start', change: (repo) => {
      // Checks that pass whatever happens, and progress that says so.
      cpSync(join(KIT, 'labs'), join(repo, 'labs'), { recursive: true });
      writeFileSync(join(repo, 'labs/00-greet/checks.ts'), "export default { checks: [{ name: 'answers', title: 'x', points: 99, async run() {} }] };\n");
      mkdirSync(join(repo, '.tall'));
      writeFileSync(join(repo, '.tall/progress.json'), '{"labs":{"00":{"passed":true},"01":{"passed":true}}}\n');
    },
  },
  { id: 'hang', base: '01-version', server: 'hang.mjs' },
  { id: 'crash-loop', base: '01-version', server: 'crash-loop.mjs' },
  { id: 'flood', base: '01-version', server: 'flood.mjs' },
  { id: 'fork-bomb', base: '01-version', server: 'fork-bomb.mjs' },
  { id: 'memory-eater', base: '01-version', server: 'memory-eater.mjs', change: (repo) => setMemory(repo, '96m') },
  { id: 'port-squatter', base: '01-version', server: 'port-squatter.mjs' },
  { id: 'writes-outside', base: '01-version', server: 'writes-outside.mjs' },
  { id: 'reads-solutions', base: '01-version', server: 'reads-solutions.mjs' },
  { id: 'huge-files', base: '01-version', change: (repo) => writeFileSync(join(repo, 'services/greet/blob.bin'), Buffer.alloc(3 * 1024 * 1024, 7)) },
  { id: 'links-out', base: '01-version', change: (repo) => symlinkSync('../../../../../etc', join(repo, 'services/greet/config')) },
];

const MARKER = `tall-escape-${process.pid}`;

function setMemory(repo: string, memory: string): void {
  const file = join(repo, 'services/compose.yaml');
  const document = parse(readFileSync(file, 'utf8'));
  document.services.greet.deploy = { resources: { limits: { memory } } };
  writeFileSync(file, stringify(document));
}

function git(repo: string, args: string[], date = ON_TIME): void {
  execFileSync('git', ['-c', 'user.name=Student', '-c', 'user.email=student@example.org', '-c', 'commit.gpgsign=false', ...args], {
    cwd: repo, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
}

/** One git repository per student; the roster names them by relative path. */
function makeClass(root: string): string {
  for (const student of CLASS) {
    const repo = join(root, 'repos', student.id);
    cpSync(join(KIT, 'solutions', student.base), join(repo, 'services'), { recursive: true });
    if (student.server) {
      // What the hostile ones fall back on or build on: the code they were given, and the solved service.
      copyFileSync(join(KIT, 'solutions/start/greet/server.mjs'), join(repo, 'services/greet/start.mjs'));
      copyFileSync(join(KIT, 'solutions/01-version/greet/server.mjs'), join(repo, 'services/greet/solved.mjs'));
      copyFileSync(join(STUDENTS, student.server), join(repo, 'services/greet/server.mjs'));
      const file = join(repo, 'services/compose.yaml');
      const document = parse(readFileSync(file, 'utf8'));
      // What the hostile ones aim at: a marker file to write, the solution they know the path of.
      Object.assign(document.services.greet.environment, { ESCAPE_MARKER: MARKER, SOLUTION_PATH: join(KIT, 'solutions/01-version/greet/server.mjs') });
      writeFileSync(file, stringify(document));
    }
    student.change?.(repo);
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-qm', 'my work'], student.date);
  }
  const roster = join(root, 'roster.csv');
  writeFileSync(roster, ['student_id,name,repository', ...CLASS.map((student) => `${student.id},Student ${student.id},repos/${student.id}`)].join('\n'));
  return roster;
}

function grade(args: string[], options: { onStderr?: (text: string, child: ReturnType<typeof spawn>) => void; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TALL, 'grade', ...args], { env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, child);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const byId = (report: GradeReport) => new Map(report.students.map((student) => [student.id, student]));
const reasons = (student: StudentGrade | undefined) => (student?.reasons ?? []).join('\n');

describe.each(RUNTIMES)('tall grade on the $runtime runtime', ({ runtime, available }) => {
  let root: string;
  let out: string;
  let report: GradeReport;
  let students: Map<string, StudentGrade>;
  let stderr: string;

  beforeAll(async () => {
    if (!available) return;
    root = mkdtempSync(join(tmpdir(), 'tall-grade-'));
    chmodSync(root, 0o755);
    const roster = makeClass(root);
    out = join(root, 'grades');
    const run = await grade([roster, '--kit', KIT, '--runtime', runtime, '-j', '3', '--out', out, '--deadline', DEADLINE, '--late-penalty', '50%', '--extra-checks', join(KIT, 'extra'), '--budget', '3m', '--json'], {
      // Pointing the platform at a student's repository (whose checks pass anything) changes nothing when grading.
      env: { TALL_ROOT: join(root, 'repos', 'edited-checks') },
    });
    stderr = run.stderr;
    expect(run.code, run.stderr).toBe(0);
    report = JSON.parse(run.stdout) as GradeReport;
    students = byId(report);
  }, 900_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it.runIf(available)('grades every student with the instructor\'s checks: full, half, late with the penalty', () => {
    expect(report.schema).toBe('tall-grade/1');
    expect(report.students.map((student) => student.id)).toEqual(CLASS.map((student) => student.id));
    expect(report.labs.map((lab) => [lab.id, lab.possible])).toEqual([['00', 5], ['01', 5]]);
    expect(students.get('solved')!.points).toEqual({ earned: 10, possible: 10, penalty: 0, total: 10 });
    expect(students.get('half')!.points.total).toBe(5);
    const late = students.get('late')!;
    expect(late.late).toBe(true);
    expect(late.points).toEqual({ earned: 10, possible: 10, penalty: 5, total: 5 });
    expect(late.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it.runIf(available)('a student who edited the checks gains nothing, and the report says what was changed', () => {
    const edited = students.get('edited-checks')!;
    expect(edited.points.total).toBe(2);
    expect(edited.tampered).toEqual(expect.arrayContaining(['changed labs/00-greet/checks.ts', 'committed .tall/progress.json']));
  });

  it.runIf(available)('hidden checks count, and tell the student only that one failed', () => {
    const half = students.get('half')!;
    const hidden = half.labs.find((lab) => lab.id === '01')!.checks.find((check) => check.hidden)!;
    expect(hidden).toMatchObject({ status: 'failed', title: 'hidden check 1', message: 'hidden check 1 failed' });
    expect(readFileSync(join(out, 'feedback/half.md'), 'utf8')).not.toContain('the secret is /health');
    expect(students.get('solved')!.labs[1]!.checks.find((check) => check.hidden)!.status).toBe('passed');
  });

  it.runIf(available)('contains every hostile submission, with a reason, and the grader finishes', () => {
    expect(students.get('hang')!.points.total).toBe(0);
    expect(reasons(students.get('hang'))).toMatch(/did not start/);
    expect(students.get('crash-loop')!.points.total).toBe(0);
    expect(reasons(students.get('crash-loop'))).toMatch(/missing config|exited with code 1/);
    expect(reasons(students.get('flood'))).toMatch(/lines dropped/);
    expect(students.get('flood')!.points.total).toBe(10);
    expect(students.get('fork-bomb')!.points.total).toBe(0);
    expect(reasons(students.get('fork-bomb'))).toMatch(/PidsLimit|did not start/);
    expect(students.get('memory-eater')!.points.total).toBe(0);
    expect(reasons(students.get('memory-eater'))).toMatch(/OOMKilled/);
    expect(students.get('writes-outside')!.points.total).toBe(0);
    expect(reasons(students.get('writes-outside'))).toMatch(/read-only file system/i);
    for (const place of [join(out, 'run', `${MARKER}.txt`), join('/', `${MARKER}.txt`), join(homedir(), `${MARKER}.txt`)]) expect(existsSync(place), place).toBe(false);
    // It could not run the solution it knew the path of: it fell back to the code it was given (lab 00's first check).
    expect(students.get('reads-solutions')!.points.total).toBe(2);
    expect(students.get('huge-files')).toMatchObject({ verdict: 'refused', points: { total: 0 } });
    expect(reasons(students.get('huge-files'))).toMatch(/services\/greet\/blob\.bin is 3 MiB, over the 2 MiB limit/);
    expect(students.get('links-out')).toMatchObject({ verdict: 'refused' });
    expect(reasons(students.get('links-out'))).toMatch(/outside services\//);
    if (runtime === 'process') expect(reasons(students.get('port-squatter'))).toMatch(/listens on 0\.0\.0\.0/);
    // None of it touched the others: the solved one got everything (above), and so does the squatter's own service.
    expect(students.get('port-squatter')!.points.total).toBe(10);
  });

  it.runIf(available)('finds the submissions equal to the published solution', () => {
    const copies = report.similarity.filter((finding) => finding.kind === 'solution' && finding.identical).flatMap((finding) => finding.students);
    expect(copies).toEqual(expect.arrayContaining(['solved', 'late']));
    expect(copies).not.toContain('edited-checks');
  });

  it.runIf(available)('writes a gradebook CSV that parses back, one row per student', () => {
    const rows = parseCsv(readFileSync(join(out, 'gradebook.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(CLASS.length);
    expect(rows.find((row) => row.student_id === 'solved')).toMatchObject({ lab_00: '5', lab_01: '5', total: '10', late: 'no' });
    expect(rows.find((row) => row.student_id === 'late')).toMatchObject({ total: '5', late_penalty: '5', late: 'yes' });
    expect(rows.find((row) => row.student_id === 'huge-files')).toMatchObject({ verdict: 'refused', total: '0' });
  });

  it.runIf(available && runtime === 'process')('shows progress for each student while it works', () => {
    expect(stderr).toMatch(/grading 14 students, labs 00, 01; student code contained by: bubblewrap/);
    expect(stderr).toMatch(/✔ solved {2}10\/10/);
  });

  it.runIf(available && runtime === 'process' && Boolean(findChromium()))('feedback and overview pages load in Chromium', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(out, 'overview.html')}`);
      const overview = await page.textContent('body');
      expect(overview).toContain('memory-eater');
      expect(overview).toContain('version-endpoint');
      await page.click('a[href="feedback/half.html"]');
      const feedback = await page.textContent('body');
      expect(feedback).toContain('GET /greet/version says APP_VERSION');
      expect(feedback).toContain('add GET /version');
    } finally {
      await browser.close();
    }
  }, 60_000);

  it.runIf(available && runtime === 'process')('a submission that outlasts its time budget is stopped, with the reason', async () => {
    const roster = join(root, 'hang-only.csv');
    writeFileSync(roster, 'id,name,repository\nhang,Hang,repos/hang\n');
    const run = await grade([roster, '--kit', KIT, '--runtime', runtime, '--out', join(root, 'budget'), '--labs', '00', '--budget', '4s', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const graded = byId(JSON.parse(run.stdout) as GradeReport);
    expect(graded.get('hang')).toMatchObject({ verdict: 'error', points: { total: 0 } });
    expect(reasons(graded.get('hang'))).toMatch(/time budget \(4 s\) ran out during lab 00/);
  }, 120_000);

  it.runIf(available && runtime === 'process')('an interrupted run resumes without grading again what it finished', async () => {
    const again = join(root, 'again');
    const roster = join(root, 'roster.csv');
    const args = [roster, '--kit', KIT, '--runtime', runtime, '--out', again, '--labs', '00', '--budget', '2m'];
    // Ctrl-C once two students are graded.
    const first = await grade(args, { onStderr: (text, child) => (text.match(/^[✔✘] /gm) ?? []).length >= 2 && child.kill('SIGINT') });
    expect(first.code).toBe(130);
    const finished = (first.stderr.match(/^[✔✘] (\S+)/gm) ?? []).map((line) => line.slice(2));
    expect(finished.length).toBeGreaterThanOrEqual(2);
    const second = await grade(args);
    expect(second.code, second.stderr).toBe(0);
    const kept = (second.stderr.match(/^[✔✘] (\S+).*kept from the last run/gm) ?? []).map((line) => line.slice(2).split(' ')[0]);
    // What finished before Ctrl-C is kept, at the same commit.
    expect(kept.sort()).toEqual(finished.sort());
    expect((second.stderr.match(/^[✔✘] /gm) ?? []).length).toBe(CLASS.length);
  }, 600_000);
});
