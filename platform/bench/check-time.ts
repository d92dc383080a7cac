/**
 * How long a learner waits for `tall check NN`: each written lab checked on its own solution (process runtime), twice —
 * the time to the verdict (what the learner waits for), the whole command, and where the time went.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyTree } from '../src/labs/tree.js';

interface CheckJson {
  ok: boolean;
  durationMs: number;
  platform: { startMs: number };
  environments: { name: string; startMs: number }[];
  checks: { durationMs: number }[];
}

export function checkTimeBench(repo: string, runs = 2): void {
  const labs = readdirSync(join(repo, 'labs'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-/.test(entry.name))
    .map((entry) => entry.name)
    .filter((folder) => readdirSync(join(repo, 'labs', folder)).includes('checks.ts'));
  console.log(`\n7. "tall check NN" on each lab's solution, process runtime, ${runs} runs each (target: the verdict within 5 s on a quiet machine)`);
  console.log('   lab                               verdict   whole command   main platform up   extra environments up   checks');
  for (const folder of labs) {
    const root = mkdtempSync(join(tmpdir(), 'tall-bench-check-'));
    copyTree(join(repo, 'solutions', folder), join(root, 'services'));
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
    try {
      for (let run = 1; run <= runs; run++) {
        const began = performance.now();
        let out = '';
        try {
          out = execFileSync(process.execPath, [join(repo, 'platform/bin/tall.js'), 'check', folder.slice(0, 2), '--json', '--runtime', 'process'], {
            cwd: root, env: { ...process.env, NO_COLOR: '1', TALL_ROOT: root }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
          });
        } catch (error) {
          out = (error as { stdout?: string }).stdout ?? '';
        }
        const wall = (performance.now() - began) / 1000;
        const result = JSON.parse(out) as CheckJson;
        const extras = result.environments.length ? `${(Math.max(...result.environments.map((env) => env.startMs)) / 1000).toFixed(1)} s (${result.environments.length})` : '-';
        const checks = result.checks.reduce((sum, check) => sum + check.durationMs, 0) / 1000;
        console.log(`   ${`${folder} #${run}${result.ok ? '' : ' (FAILED)'}`.padEnd(33)} ${(result.durationMs / 1000).toFixed(1).padStart(5)} s   ${wall.toFixed(1).padStart(9)} s   ${(result.platform.startMs / 1000).toFixed(1).padStart(12)} s   ${extras.padStart(18)}   ${checks.toFixed(1).padStart(5)} s`);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
}
