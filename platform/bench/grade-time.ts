/**
 * How long grading a class takes: N copies of solutions/03 (every point of labs 00–03) as a folder of submissions,
 * graded with `tall grade --labs 00-03` on the process runtime, with -j 1 and then -j 2 (with --force, so each run
 * grades everything), in the same run of the bench so the two compare.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyTree } from '../src/labs/tree.js';
import type { GradeReport } from '../src/grading/grade-report.js';

export function gradeTimeBench(repo: string, submissions = 4): void {
  console.log(`\n10. "tall grade --labs 00-03": ${submissions} submissions (each a copy of solutions/03), process runtime, contained`);
  console.log('   jobs   whole run   per submission   points (each)');
  const root = mkdtempSync(join(tmpdir(), 'tall-bench-grade-'));
  try {
    for (let n = 1; n <= submissions; n++) copyTree(join(repo, 'solutions/03-routing-and-load-balancing'), join(root, 'class', `student-${n}`, 'services'));
    for (const jobs of [1, 2]) {
      const began = performance.now();
      let out = '';
      try {
        out = execFileSync(process.execPath, [join(repo, 'platform/bin/tall.js'), 'grade', join(root, 'class'), '--labs', '00-03', '--runtime', 'process', '-j', String(jobs), '--out', join(root, 'grades'), '--force', '--json'], {
          cwd: root, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 ** 2,
        });
      } catch (error) {
        out = (error as { stdout?: string }).stdout ?? '';
      }
      const wall = (performance.now() - began) / 1000;
      const report = JSON.parse(out || '{"students":[]}') as GradeReport;
      const points = [...new Set(report.students.map((student) => `${student.points.total}/${student.points.possible}`))].join(', ') || 'no report';
      console.log(`   ${String(jobs).padStart(4)}   ${wall.toFixed(0).padStart(7)} s   ${(wall / submissions).toFixed(1).padStart(12)} s   ${points}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
