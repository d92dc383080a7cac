/**
 * The router's ceiling against a trivial backend (the fixture echo, one process): direct, through the router (alone in
 * its process, monitoring on) and through nginx, in turns. With --profile DIR only the router is measured, under
 * node --cpu-prof, and its profile is left there (open it in Chrome's DevTools, Performance tab, or speedscope).
 * Run: npx tsx platform/bench/router-ceiling.ts [--seconds 8] [--rounds 3] [--profile /tmp/prof] [--baseline OTHER/platform] [--monitoring-off-too]
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/ports.js';
import { hasCommand, measure, type Throughput } from './load-tools.js';
import { startNginx } from './nginx-proxy.js';

const argument = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const seconds = Number(argument('--seconds')) || 8;
const rounds = Number(argument('--rounds')) || 3;
const profileDir = argument('--profile');
/** another checkout's platform/ (say, before a change): its router is measured too, in the same turns */
const baseline = argument('--baseline');
const ECHO = join(import.meta.dirname, '../test/fixtures/mini/services/echo/server.mjs');

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/ready`).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing answers on ${port}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function routerCeiling(): Promise<void> {
  const children: ChildProcess[] = [];
  try {
    const echoPort = await freePort();
    children.push(spawn(process.execPath, [ECHO], { env: { ...process.env, PORT: String(echoPort), HOST: '127.0.0.1', INSTANCE_INDEX: '1' }, stdio: 'ignore' }));
    await waitForPort(echoPort);
    const routerPort = await freePort();
    const logs = mkdtempSync(join(tmpdir(), 'tall-bench-access-'));
    const execArgv = ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
    const startRouter = async (script: string, port: number, env: Record<string, string> = {}) => {
      const router = fork(script, [String(port), `127.0.0.1:${echoPort}`, join(logs, `access-${port}.jsonl`)], { execArgv, stdio: 'ignore', env: { ...process.env, ...env } });
      children.push(router);
      await new Promise((resolve) => router.once('message', resolve));
    };
    await startRouter(join(import.meta.dirname, 'router-alone.ts'), routerPort);
    const paths: [string, string][] = [['direct to the instance', `http://127.0.0.1:${echoPort}/`], ['through the tall router', `http://127.0.0.1:${routerPort}/echo/`]];
    if (process.argv.includes('--monitoring-off-too')) {
      const offPort = await freePort();
      await startRouter(join(import.meta.dirname, 'router-alone.ts'), offPort, { TALL_ROUTER_MONITORING: 'off' });
      paths.push(['router, monitoring off', `http://127.0.0.1:${offPort}/echo/`]);
    }
    if (baseline) {
      const baselinePort = await freePort();
      await startRouter(join(baseline, 'bench/router-alone.ts'), baselinePort);
      paths.push(['through the baseline router', `http://127.0.0.1:${baselinePort}/echo/`]);
    }
    // A profile is of the router at work, not waiting while the others are measured.
    if (profileDir) paths.shift();
    else if (hasCommand('nginx')) {
      const nginxPort = await freePort();
      children.push(await startNginx(nginxPort, 'echo', `127.0.0.1:${echoPort}`));
      paths.push(['through nginx', `http://127.0.0.1:${nginxPort}/echo/`]);
    }
    const runs = new Map<string, Throughput[]>(paths.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, url] of round % 2 === 0 ? paths : [...paths].reverse()) runs.get(name)!.push(await measure(url, seconds));
    }
    console.log(`\nthe router's ceiling: GET / of the fixture echo, ${rounds} × ${seconds} s each, in turns, 32 connections, ${runs.values().next().value![0]!.tool}`);
    console.log('   path                       req/s (each run)          median   p99 ms (median)  errors');
    for (const [name, results] of runs) {
      const rps = results.map((result) => result.requestsPerSecond);
      console.log(`   ${name.padEnd(26)} ${rps.map((value) => value.toFixed(0).padStart(6)).join(' ').padEnd(24)} ${median(rps).toFixed(0).padStart(7)}  ${median(results.map((result) => result.p99Ms)).toFixed(2).padStart(14)}  ${String(results.reduce((sum, result) => sum + result.errors, 0)).padStart(6)}`);
    }
    // Ratios per round (runs next to each other in time), then their median: the machine's load drifts between rounds.
    const ratio = (name: string, to: string) => {
      const [a, b] = [runs.get(name), runs.get(to)];
      return a && b ? median(a.map((result, round) => result.requestsPerSecond / b[round]!.requestsPerSecond)).toFixed(2) : '-';
    };
    if (profileDir) console.log(`   the router's CPU profile (the router alone was measured): ${profileDir}/*.cpuprofile`);
    else {
      console.log(`   median of per-round ratios: router / direct = ${ratio('through the tall router', 'direct to the instance')}   router / nginx = ${ratio('through the tall router', 'through nginx')} (target ≥ 0.6)` +
        `${runs.has('router, monitoring off') ? `   monitoring on / off = ${ratio('through the tall router', 'router, monitoring off')}` : ''}` +
        `${baseline ? `   baseline / nginx = ${ratio('through the baseline router', 'through nginx')}   router / baseline = ${ratio('through the tall router', 'through the baseline router')}` : ''}`);
    }
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await routerCeiling();
