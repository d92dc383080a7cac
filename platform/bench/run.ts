/**
 * Benchmarks, printed as figures (never asserted: the machines are shared and noisy):
 *  1. throughput and p99 latency to one instance: direct, through the router, through nginx (if installed),
 *     for a trivial node service and for one of the shop's express services;
 *  2. time from `tall up` to every service ready, per runtime, on the shop in services/;
 *  3. `tall logs -n 5` and `tall logs` over a 300 MB log: time and peak memory;
 *  4. time and peak memory to read a 5 MB compose file (compose-parse.ts, in a process of its own);
 *  5–6. failover drills: a frozen instance under load, and callers giving up on a hung handler (failover.ts);
 *  7. `tall check NN` on each lab's solution: time to the verdict, and where it went (check-time.ts);
 *  8. the router with monitoring (metrics, access lines) on and off, in turns (monitoring.ts);
 *  9. data services: provisioning a PostgreSQL instance, its resurrection, `up` with one, per runtime (data-provision.ts);
 * 10. deploys under ~200 req/s: rolling, automatic rollback, blue-green and its rollback, per runtime (deploy.ts).
 * Run: npm run bench [-- --seconds 10] [-- --only proxy|up|logs|failover|compose|checks|grade|monitoring|data|deploy]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../src/util/ports.js';
import { hasCommand, measure, type Throughput } from './load-tools.js';
import { startNginx } from './nginx-proxy.js';
import { logTailBench, type RunFigure } from './log-tail.js';
import { failoverBench } from './failover.js';
import { checkTimeBench } from './check-time.js';
import { gradeTimeBench } from './grade-time.js';
import { monitoringBench } from './monitoring.js';
import { dataProvisionBench } from './data-provision.js';
import { deployBench } from './deploy.js';

const REPO = resolve(import.meta.dirname, '../..');
const TALL = join(REPO, 'platform/bin/tall.js');
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 8;
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

function tall(root: string, stateDir: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [TALL, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', TALL_ROOT: root, TALL_STATE_DIR: stateDir, ...env }, encoding: 'utf8' });
}

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

interface ProxyCase {
  title: string;
  root: string;
  service: string;
  path: string;
}

/** One instance of a service, measured direct, through the router and through nginx, one after another. */
async function proxyBench(bench: ProxyCase): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tall-bench-'));
  const port = await freePort();
  tall(bench.root, stateDir, ['up', '--runtime', 'process', '--port', String(port)]);
  try {
    tall(bench.root, stateDir, ['scale', bench.service, '1']);
    const ps = JSON.parse(tall(bench.root, stateDir, ['ps', '--json'])) as { instances: { id: string; address: string }[] };
    const instance = ps.instances.find((i) => i.id === `${bench.service}/1`)!.address;
    const rows: [string, Throughput][] = [];
    rows.push(['direct to the instance', await measure(`http://${instance}${bench.path}`, seconds)]);
    rows.push(['through the tall router', await measure(`http://127.0.0.1:${port}/${bench.service}${bench.path}`, seconds)]);
    if (hasCommand('nginx')) {
      const nginxPort = await freePort();
      const nginx = await startNginx(nginxPort, bench.service, instance);
      try {
        rows.push(['through nginx', await measure(`http://127.0.0.1:${nginxPort}/${bench.service}${bench.path}`, seconds)]);
      } finally {
        nginx.kill();
      }
    }
    const direct = rows[0]![1].requestsPerSecond;
    const router = rows[1]![1].requestsPerSecond;
    const nginx = rows[2]?.[1].requestsPerSecond;
    console.log(`\n${bench.title}: GET ${bench.path}, ${seconds} s each, 32 connections, load from ${rows[0]![1].tool}`);
    console.log('   path                       req/s     p99 ms   errors');
    for (const [name, result] of rows) {
      console.log(`   ${name.padEnd(26)} ${result.requestsPerSecond.toFixed(0).padStart(7)}  ${result.p99Ms.toFixed(2).padStart(8)}  ${String(result.errors).padStart(6)}`);
    }
    console.log(`   router / direct = ${(router / direct).toFixed(2)} (target ≥ 0.6)${nginx ? `   router / nginx = ${(router / nginx).toFixed(2)} (target ≥ 0.5)` : '   (nginx not installed: apt-get install nginx-light for the yardstick)'}`);
  } finally {
    tall(bench.root, stateDir, ['down']);
  }
}

async function upBench(runtime: 'process' | 'docker'): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tall-bench-'));
  const port = await freePort();
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    tall(REPO, stateDir, ['up', '--runtime', runtime, '--port', String(port)]);
    times.push(performance.now() - started);
    tall(REPO, stateDir, ['down']);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`   ${runtime.padEnd(8)} runs ${times.map((t) => (t / 1000).toFixed(2)).join(' s, ')} s   median ${(sorted[1]! / 1000).toFixed(2)} s${runtime === 'process' ? '  (target < 5 s)' : ''}`);
}

async function logsBench(): Promise<void> {
  const megabytes = 300;
  const { tail, stream, lines } = await logTailBench(TALL, join(REPO, 'platform/test/fixtures/mini'), megabytes);
  const row = (name: string, figure: RunFigure, target: string) =>
    console.log(`   ${name.padEnd(30)} ${figure.ok ? `${figure.seconds.toFixed(2).padStart(6)} s  ${figure.peakRssMb.toFixed(0).padStart(6)} MB` : '   failed'}   ${figure.lines} lines out  ${target}`);
  console.log(`\n3. tall logs over a ${megabytes} MB log (${lines.toLocaleString('en-US')} lines, one file): time and peak RSS`);
  row('tall logs -n 5', tail, '(target < 1 s, < 100 MB)');
  row('tall logs --json (every line)', stream, '(memory flat whatever the size)');
}

console.log(`tall benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (!only || only === 'proxy') {
  await proxyBench({ title: '1a. a plain node http service (the fixture echo)', root: join(REPO, 'platform/test/fixtures/mini'), service: 'echo', path: '/' });
  await proxyBench({ title: '1b. an express service (the shop\'s catalog)', root: REPO, service: 'catalog', path: '/products' });
}
if (!only || only === 'up') {
  console.log('\n2. time from "tall up" to every service of the shop ready (includes CLI start, image build check for docker)');
  await upBench('process');
  if (dockerAnswers()) await upBench('docker');
  else console.log('   docker   skipped: no engine answers (.ci/install-docker.sh)');
}
if (!only || only === 'logs') await logsBench();
if (!only || only === 'compose') {
  console.log('\n4. reading a 5 MB compose file: thousands of services (anchors, merge keys, interpolation, unsupported fields), and one very wide mapping');
  for (const shape of ['services', 'wide']) {
    process.stdout.write(execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'compose-parse.ts'), '--shape', shape], { cwd: REPO, encoding: 'utf8' }));
  }
}
if (!only || only === 'failover') await failoverBench(join(REPO, 'platform/test/fixtures/mini'));
if (!only || only === 'checks') checkTimeBench(REPO);
if (!only || only === 'monitoring') await monitoringBench(join(REPO, 'platform/test/fixtures/mini'), seconds);
if (!only || only === 'data') {
  console.log('\n9. data services (platform/test/fixtures/data): a new PostgreSQL instance until it accepts connections, its server back after a SIGKILL, "tall up" with one');
  await dataProvisionBench(TALL, join(REPO, 'platform/test/fixtures/data'), 'process');
  if (dockerAnswers()) await dataProvisionBench(TALL, join(REPO, 'platform/test/fixtures/data'), 'docker');
  else console.log('   docker   skipped: no engine answers (.ci/install-docker.sh)');
}
if (!only || only === 'grade') gradeTimeBench(REPO);
if (!only || only === 'deploy') {
  console.log('\n10. deploys of the fixture echo (2 instances) under ~200 req/s, each beside the same load with nothing changing (target: 0 failed)');
  await deployBench(TALL, join(REPO, 'platform/test/fixtures/mini'), 'process');
  if (dockerAnswers()) await deployBench(TALL, join(REPO, 'platform/test/fixtures/mini'), 'docker');
  else console.log('   docker   skipped: no engine answers (.ci/install-docker.sh)');
}
