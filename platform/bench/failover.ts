/**
 * Two failure drills of the router, as figures: a frozen instance (SIGSTOP, 1 of 3) under ~200 req/s, next to the same
 * load with nothing frozen; and 140 callers giving up on a handler that never answers. Process runtime, the fixture echo.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../src/util/ports.js';

interface Drill {
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** answered after more than 2 s */
  slow: number;
}

function tallIn(root: string, stateDir: string) {
  return (args: string[]) => execFileSync(process.execPath, [join(import.meta.dirname, '../bin/tall.js'), ...args], {
    cwd: root, env: { ...process.env, NO_COLOR: '1', TALL_ROOT: root, TALL_STATE_DIR: stateDir }, encoding: 'utf8',
  });
}

/** ~rate req/s for `seconds`, counting every answer slower than 2 s (autocannon's own per-response event). */
function load(url: string, rate: number, seconds: number, during?: () => void): Promise<Drill> {
  return new Promise((resolve, reject) => {
    let slow = 0;
    const instance = autocannon({ url, connections: 20, overallRate: rate, duration: seconds, timeout: 10 }, (error: Error | null, result: { requests: { total: number }; errors: number; timeouts: number; non2xx: number; latency: { p50: number; p99: number; max: number } }) => {
      if (error) return reject(error);
      resolve({ requests: result.requests.total, failed: result.errors + result.timeouts + result.non2xx, p50Ms: result.latency.p50, p99Ms: result.latency.p99, maxMs: result.latency.max, slow });
    });
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      if (responseTime > 2000) slow++;
    });
    if (during) setTimeout(during, 2000);
  });
}

function row(name: string, drill: Drill): void {
  const share = drill.requests ? ((100 * drill.slow) / drill.requests).toFixed(2) : '-';
  console.log(`   ${name.padEnd(30)} ${String(drill.requests).padStart(6)} ${String(drill.failed).padStart(7)}  ${drill.p50Ms.toFixed(1).padStart(7)} ${drill.p99Ms.toFixed(1).padStart(8)} ${drill.maxMs.toFixed(0).padStart(7)}  ${share.padStart(6)} %`);
}

export async function failoverBench(miniRoot: string): Promise<void> {
  const tall = tallIn(miniRoot, mkdtempSync(join(tmpdir(), 'tall-bench-')));
  const port = await freePort();
  tall(['up', '--runtime', 'process', '--port', String(port)]);
  try {
    tall(['scale', 'echo', '3']);
    const router = `http://127.0.0.1:${port}`;
    const ps = JSON.parse(tall(['ps', '--json'])) as { instances: { id: string; pid: number }[] };
    const victim = ps.instances.find((instance) => instance.id === 'echo/2')!;

    console.log('\n5. a frozen instance: 1 of 3 echo instances SIGSTOPped 2 s into 10 s of ~200 req/s (targets: 0 failed, < 1 % slower than 2 s)');
    console.log('   run                            requests  failed   p50 ms   p99 ms  max ms  > 2 s');
    row('nothing frozen', await load(`${router}/echo/`, 200, 10));
    try {
      row('echo/2 frozen (SIGSTOP)', await load(`${router}/echo/`, 200, 10, () => process.kill(victim.pid, 'SIGSTOP')));
    } finally {
      process.kill(victim.pid, 'SIGCONT');
    }

    console.log('\n6. a handler that never answers: 140 callers to /echo/hang, each giving up after 1 s');
    const started = performance.now();
    await Promise.all(Array.from({ length: 140 }, () => fetch(`${router}/echo/hang`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined)));
    const gaveUp = performance.now();
    const answered = await fetch(`${router}/echo/hello`, { signal: AbortSignal.timeout(10_000) }).then((answer) => answer.status, () => 0);
    const nextAnswerMs = performance.now() - gaveUp;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const held = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const stats = (await (await fetch(`${router}/echo/stats`)).json()) as { instance: string; hanging: number };
      held.set(stats.instance, stats.hanging);
    }
    console.log(`   callers gave up after ${((gaveUp - started) / 1000).toFixed(1)} s; the next normal request got ${answered} in ${nextAnswerMs.toFixed(0)} ms`);
    console.log(`   requests still held 1 s later, per instance: ${[...held].map(([id, count]) => `${id}: ${count}`).join(', ')} (target 0)`);
  } finally {
    tall(['down']);
  }
}
