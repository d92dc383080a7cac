/**
 * How long a data service takes, per runtime, on the data-service tests' fixture (platform/test/fixtures/data):
 *  - `tall service create postgres <name> --wait` on a running platform: a new instance from nothing (initdb or a new
 *    volume, first start, its database made) until it accepts connections, three times;
 *  - the same instance's server brought back by the resurrector after a SIGKILL (from the kill to the event);
 *  - `tall up` of the fixture the first time (provisions app-db) and again after `tall down` (data kept: a start only).
 * Figures, not assertions.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/ports.js';

type Tall = (args: string[]) => string;

export async function dataProvisionBench(tallBinary: string, root: string, runtime: 'process' | 'docker'): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tall-bench-data-'));
  const port = await freePort();
  const tall: Tall = (args) => execFileSync(process.execPath, [tallBinary, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', TALL_ROOT: root, TALL_STATE_DIR: stateDir, TALL_PORT: String(port) }, encoding: 'utf8' });
  const timed = (args: string[]) => {
    const started = performance.now();
    tall(args);
    return (performance.now() - started) / 1000;
  };
  try {
    const firstUp = timed(['up', '--runtime', runtime]);
    const creates: number[] = [];
    for (let run = 1; run <= 3; run++) creates.push(timed(['service', 'create', 'postgres', `bench-${run}`, '--wait']));
    const instance = (JSON.parse(tall(['services', '--json'])) as { instances: { name: string; pid?: number; containerId?: string }[] }).instances.find((candidate) => candidate.name === 'bench-1')!;
    const killedAt = Date.now();
    if (runtime === 'process') process.kill(instance.pid!, 'SIGKILL');
    else execFileSync('docker', ['kill', instance.containerId!], { stdio: 'ignore' });
    let back: number | undefined;
    while (Date.now() - killedAt < 120_000 && back === undefined) {
      const events = JSON.parse(tall(['events', 'bench-1', '--json'])) as { time: string; type: string }[];
      const event = events.find((candidate) => candidate.type === 'resurrected' && Date.parse(candidate.time) >= killedAt);
      if (event) back = (Date.parse(event.time) - killedAt) / 1000;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    tall(['down']);
    const againUp = timed(['up', '--runtime', runtime]);
    const sorted = [...creates].sort((a, b) => a - b);
    console.log(`   ${runtime.padEnd(8)} create --wait ${creates.map((t) => t.toFixed(2)).join(' s, ')} s (median ${sorted[1]!.toFixed(2)} s)   resurrected after SIGKILL in ${back === undefined ? 'more than 120 s' : `${back.toFixed(2)} s`}   up with app-db: first ${firstUp.toFixed(2)} s, again ${againUp.toFixed(2)} s (4 servers)`);
  } finally {
    try {
      tall(['down']);
    } catch {
      // already down
    }
    if (runtime === 'docker') {
      // The named volumes outlive `down` on purpose; the bench's own go (project name as environment.ts makes it).
      const project = `tall-default-${createHash('sha256').update(join(stateDir, 'default')).digest('hex').slice(0, 6)}`;
      const ours = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `name=${project}-data-`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (ours.length > 0) execFileSync('docker', ['volume', 'rm', '--force', ...ours], { stdio: 'ignore' });
    }
  }
}
