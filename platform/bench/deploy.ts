/**
 * Deploys under load, as figures: on the fixture echo (2 instances), ~200 req/s through the router while a rolling
 * deploy, an automatic rollback of a version that never gets ready, a blue-green switch and its `tall rollback` run —
 * each beside the same load with nothing changing, per runtime. Requests, failed, p99, how long the change took.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadSummary } from '../src/load/run-load.js';
import { freePort } from '../src/util/ports.js';

const RATE = 200;

interface Scenario {
  name: string;
  /** the echo lines of the compose file for this version: a greeting, more environment, x-tall settings */
  greeting: string;
  environment?: string;
  tall?: string;
  verb: string[];
}

const SCENARIOS: Scenario[] = [
  { name: 'rolling deploy', greeting: 'rolled', verb: ['deploy', 'echo'] },
  { name: 'automatic rollback (never ready)', greeting: 'broken', environment: '\n      NEVER_READY: "yes"', verb: ['deploy', 'echo', '--timeout', '4s'] },
  { name: 'blue-green switch', greeting: 'green', tall: '\n      deploy: blue-green', verb: ['deploy', 'echo'] },
  { name: 'blue-green rollback', greeting: 'green', tall: '\n      deploy: blue-green', verb: ['rollback', 'echo'] },
];

function row(name: string, load: LoadSummary, changeMs?: number): void {
  const failed = load.requests - load.ok;
  const p99 = load.latencyMs ? load.latencyMs.p99.toFixed(1) : '-';
  console.log(`   ${name.padEnd(34)} ${String(load.requests).padStart(6)} ${String(failed).padStart(7)} ${p99.padStart(8)}   ${changeMs === undefined ? '' : `${(changeMs / 1000).toFixed(1)} s`}`);
}

export async function deployBench(tallBin: string, miniRoot: string, runtime: 'process' | 'docker'): Promise<void> {
  // A copy: a deploy reads the compose file again, so each scenario rewrites the copy's.
  const root = mkdtempSync(join(tmpdir(), 'tall-bench-deploy-'));
  cpSync(miniRoot, root, { recursive: true });
  const composeFile = join(root, 'services/compose.yaml');
  const original = readFileSync(composeFile, 'utf8');
  const stateDir = mkdtempSync(join(tmpdir(), 'tall-bench-'));
  // Not execFileSync: the load runs in this process and must go on while tall works.
  const tall = async (args: string[]) => {
    try {
      await promisify(execFile)(process.execPath, [tallBin, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', TALL_ROOT: root, TALL_STATE_DIR: stateDir } });
    } catch {
      // a rolled-back deploy exits 1 by design: the figures show what the load saw
    }
  };
  const port = await freePort();
  await tall(['up', '--runtime', runtime, '--port', String(port)]);
  const url = `http://127.0.0.1:${port}/echo/`;
  try {
    console.log(`   ${runtime} runtime                       requests  failed   p99 ms   change took`);
    row('nothing changing (10 s)', await runLoad(url, { rps: RATE, durationMs: 10_000, timeoutMs: 5000 }));
    for (const scenario of SCENARIOS) {
      writeFileSync(composeFile, original
        .replace('GREETING: ${GREETING:-hello}', `GREETING: ${scenario.greeting}${scenario.environment ?? ''}`)
        .replace('metrics_path: /metrics          # its own metrics, scraped by the platform', `metrics_path: /metrics${scenario.tall ?? ''}`));
      const stop = new AbortController();
      const load = runLoad(url, { rps: RATE, durationMs: 600_000, timeoutMs: 5000, signal: stop.signal });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const began = performance.now();
      await tall(scenario.verb);
      const changeMs = performance.now() - began;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      stop.abort();
      row(scenario.name, await load, changeMs);
    }
  } finally {
    await tall(['down']);
    rmSync(root, { recursive: true, force: true });
  }
}
