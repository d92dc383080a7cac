import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { InstanceView } from '../control-plane/instance.js';
import { UserError } from '../control-plane/user-error.js';
import { docker } from '../runtimes/docker/docker-cli.js';
import type { RuntimeKind } from '../runtimes/runtime.js';

/** How busy each instance is: per instance id, the percent of one CPU it used (200 = two CPUs' worth) over `overMs`. */
export interface CpuSample {
  percent: Map<string, number>;
  overMs: number;
}

export interface CpuSource {
  sample(instances: readonly InstanceView[]): Promise<CpuSample>;
}

/** The CPU source of a runtime, or a UserError saying why this machine has none (shown by `tall up`). */
export function cpuSourceFor(runtime: RuntimeKind): CpuSource {
  if (runtime === 'docker') return new DockerStatsCpu();
  if (process.platform !== 'linux') {
    throw new UserError(
      'x-tall.autoscale.target.cpu_percent needs /proc to measure an instance\'s CPU on the process runtime, which only Linux has',
      'target rps_per_instance or p95_ms instead, or use the docker runtime: npx tall up --runtime docker',
    );
  }
  return new ProcessGroupCpu();
}

/**
 * Process runtime: the CPU time (utime + stime in /proc/<pid>/stat) of every process in the instance's process group —
 * a service that forks workers is measured whole — between two samples. Linux only.
 */
export class ProcessGroupCpu implements CpuSource {
  private readonly ticksPerSecond = clockTicks();
  private readonly previous = new Map<string, { t: number; pid: number; seconds: number }>();
  private lastAt?: number;

  constructor(private readonly now: () => number = Date.now, private readonly procDir = '/proc') {}

  async sample(instances: readonly InstanceView[]): Promise<CpuSample> {
    const byGroup = this.groupCpuSeconds();
    const t = this.now();
    const overMs = this.lastAt === undefined ? 0 : t - this.lastAt;
    this.lastAt = t;
    const result = new Map<string, number>();
    for (const instance of instances) {
      if (!instance.pid) continue;
      const seconds = byGroup.get(instance.pid) ?? 0;
      const before = this.previous.get(instance.id);
      this.previous.set(instance.id, { t, pid: instance.pid, seconds });
      // A new process (a restart) starts its own count: its first sample is only a baseline.
      if (!before || before.pid !== instance.pid || t <= before.t) continue;
      result.set(instance.id, Math.max(0, (100 * (seconds - before.seconds) * 1000) / (t - before.t)));
    }
    for (const id of this.previous.keys()) if (!instances.some((instance) => instance.id === id)) this.previous.delete(id);
    return { percent: result, overMs };
  }

  /** CPU seconds per process group, in one pass over every process (as the memory watchdog measures groups). */
  private groupCpuSeconds(): Map<number, number> {
    const groups = new Map<number, number>();
    for (const entry of readdirSync(this.procDir)) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`${this.procDir}/${entry}/stat`, 'utf8');
      } catch {
        continue;
      }
      // After the command name (which may hold spaces): state, ppid, pgrp, … utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgrp = Number(fields[2]);
      groups.set(pgrp, (groups.get(pgrp) ?? 0) + (Number(fields[11]) + Number(fields[12])) / this.ticksPerSecond);
    }
    return groups;
  }
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()) || 100;
  } catch {
    return 100;
  }
}

/**
 * Docker runtime: `docker stats --no-stream` for the service's containers in one call. It takes a second or two (Docker
 * reads the cgroup twice, about a second apart, and reports the CPU between), which the autoscaler's loop can afford
 * every few seconds.
 */
const DOCKER_STATS_SPAN_MS = 1000;

export class DockerStatsCpu implements CpuSource {
  async sample(instances: readonly InstanceView[]): Promise<CpuSample> {
    const withContainer = instances.filter((instance) => instance.containerId);
    const result = new Map<string, number>();
    if (withContainer.length === 0) return { percent: result, overMs: 0 };
    const output = await docker(['stats', '--no-stream', '--format', '{{.ID}}\t{{.CPUPerc}}', ...withContainer.map((instance) => instance.containerId!)], { timeoutMs: 10_000 });
    for (const line of output.trim().split('\n')) {
      const [id, percent] = line.split('\t');
      const instance = withContainer.find((candidate) => id && candidate.containerId!.startsWith(id));
      const value = Number.parseFloat(percent ?? '');
      if (instance && Number.isFinite(value)) result.set(instance.id, value);
    }
    return { percent: result, overMs: DOCKER_STATS_SPAN_MS };
  }
}
