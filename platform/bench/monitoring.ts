/**
 * What monitoring costs the router: two platforms of the fixture echo (one instance each) side by side, one with the
 * router's metrics and access lines on, one with TALL_ROUTER_MONITORING=off, measured in turns (on, off, on, off …) so
 * that a machine busy with other work weighs on both alike. Figures, not assertions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/ports.js';
import { measure, type Throughput } from './load-tools.js';

function tallIn(root: string, stateDir: string, env: Record<string, string>) {
  return (args: string[]) => execFileSync(process.execPath, [join(import.meta.dirname, '../bin/tall.js'), ...args], {
    cwd: root, env: { ...process.env, NO_COLOR: '1', TALL_ROOT: root, TALL_STATE_DIR: stateDir, ...env }, encoding: 'utf8',
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function monitoringBench(miniRoot: string, seconds: number, rounds = 5): Promise<void> {
  const platforms = [
    { name: 'monitoring on', env: {} as Record<string, string> },
    { name: 'monitoring off', env: { TALL_ROUTER_MONITORING: 'off' } },
  ].map((platform) => ({ ...platform, tall: tallIn(miniRoot, mkdtempSync(join(tmpdir(), 'tall-bench-')), platform.env), port: 0, runs: [] as Throughput[] }));
  try {
    for (const platform of platforms) {
      platform.port = await freePort();
      platform.tall(['up', '--runtime', 'process', '--port', String(platform.port)]);
      platform.tall(['scale', 'echo', '1']);
    }
    for (let round = 0; round < rounds; round++) {
      for (const platform of round % 2 === 0 ? platforms : [...platforms].reverse()) {
        platform.runs.push(await measure(`http://127.0.0.1:${platform.port}/echo/`, seconds));
      }
    }
    console.log(`\n8. what monitoring costs the router: GET /echo/ through the router, one echo instance, ${rounds} × ${seconds} s each, in turns, 32 connections, ${platforms[0]!.runs[0]!.tool}`);
    console.log('   router                    req/s (each run)               median   p99 ms (median)  errors');
    for (const platform of platforms) {
      const rps = platform.runs.map((run) => run.requestsPerSecond);
      console.log(`   ${platform.name.padEnd(24)} ${rps.map((value) => value.toFixed(0).padStart(6)).join(' ').padEnd(30)} ${median(rps).toFixed(0).padStart(7)}  ${median(platform.runs.map((run) => run.p99Ms)).toFixed(2).padStart(14)}  ${String(platform.runs.reduce((sum, run) => sum + run.errors, 0)).padStart(6)}`);
    }
    // Each round's two runs are next to each other in time: their ratio survives the machine's load changing between
    // rounds, which the ratio of the two medians does not.
    const ratios = platforms[0]!.runs.map((run, round) => run.requestsPerSecond / platforms[1]!.runs[round]!.requestsPerSecond);
    console.log(`   on / off per round: ${ratios.map((ratio) => ratio.toFixed(2)).join(' ')}   median ${median(ratios).toFixed(2)} (target ≥ 0.9)`);
  } finally {
    for (const platform of platforms) if (platform.port) platform.tall(['down']);
  }
}
