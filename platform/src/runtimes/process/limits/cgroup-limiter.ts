import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceLimits } from '../../../compose/model.js';
import type { InstanceLimiter, LimitBreach } from './limiter.js';

const ROOT = '/sys/fs/cgroup';
const CPU_PERIOD_US = 100_000;

/**
 * Limits enforced by the kernel. cgroup v2 (one tree, memory.max / cpu.max / pids.max) or v1 (a tree per controller:
 * memory.limit_in_bytes, cpu.cfs_quota_us, pids.max), one cgroup per instance under tall/<scope>/.
 * Usable when this process may create cgroups and enable the controllers: as root, in practice.
 */
export class CgroupLimiter implements InstanceLimiter {
  readonly mechanism: string;

  private constructor(private readonly version: 1 | 2, private readonly scope: string) {
    this.mechanism = `cgroup v${version}: memory, CPU and process count enforced by the kernel`;
  }

  /** A limiter for this machine, or undefined when cgroups can't be created here. */
  static detect(scope: string): CgroupLimiter | undefined {
    if (process.platform !== 'linux') return undefined;
    try {
      if (existsSync(join(ROOT, 'cgroup.controllers'))) {
        const base = join(ROOT, 'tall');
        mkdirSync(base, { recursive: true });
        // Children of the root get the controllers only if the root hands them down (and tall/ to its own children).
        writeFileSync(join(ROOT, 'cgroup.subtree_control'), '+memory +pids +cpu');
        writeFileSync(join(base, 'cgroup.subtree_control'), '+memory +pids +cpu');
        return new CgroupLimiter(2, scope);
      }
      for (const controller of ['memory', 'cpu', 'pids']) mkdirSync(join(ROOT, controller, 'tall'), { recursive: true });
      return new CgroupLimiter(1, scope);
    } catch {
      return undefined;
    }
  }

  launch(id: string, argv: string[], limits: ResourceLimits): string[] {
    const procs = this.create(id, limits);
    // The shell joins the cgroups, then becomes the program: limits hold from its first instruction, children included.
    return ['sh', '-c', 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"', 'tall-limits', ...procs, '--', ...argv];
  }

  started(): void {
    // The kernel does the rest.
  }

  breach(id: string): LimitBreach | undefined {
    const events = this.version === 2 ? read(join(this.dir(id), 'memory.events')) : read(join(this.dir(id, 'memory'), 'memory.oom_control'));
    const kills = Number(/oom_kill (\d+)/.exec(events)?.[1] ?? 0);
    if (kills > 0) return 'OOMKilled';
    // The kernel refuses a fork over pids.max rather than killing anyone: a program that dies of that failure hit it.
    const pids = read(this.version === 2 ? join(this.dir(id), 'pids.events') : join(this.dir(id, 'pids'), 'pids.events'));
    return Number(/max (\d+)/.exec(pids)?.[1] ?? 0) > 0 ? 'PidsLimit' : undefined;
  }

  release(id: string): void {
    for (const dir of this.version === 2 ? [this.dir(id)] : ['memory', 'cpu', 'pids'].map((controller) => this.dir(id, controller))) {
      try {
        rmdirSync(dir);
      } catch {
        // still has a process in it (a stray child); it goes with the next clean-up
      }
    }
  }

  /** Creates the instance's cgroup(s) with the limits set; returns the cgroup.procs files to join. */
  private create(id: string, limits: ResourceLimits): string[] {
    const quota = Math.round(limits.cpus * CPU_PERIOD_US);
    if (this.version === 2) {
      const dir = this.dir(id);
      this.fresh(dir);
      writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      writeFileSync(join(dir, 'pids.max'), String(limits.pids));
      writeFileSync(join(dir, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
      return [join(dir, 'cgroup.procs')];
    }
    const memory = this.dir(id, 'memory');
    const cpu = this.dir(id, 'cpu');
    const pids = this.dir(id, 'pids');
    for (const dir of [memory, cpu, pids]) this.fresh(dir);
    writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Without this the kernel lets the instance swap instead of stopping it.
    if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
    writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(quota));
    writeFileSync(join(pids, 'pids.max'), String(limits.pids));
    return [memory, cpu, pids].map((dir) => join(dir, 'cgroup.procs'));
  }

  /** A new run starts with a new cgroup, so the OOM count read after its exit is its own. */
  private fresh(dir: string): void {
    try {
      rmdirSync(dir);
    } catch {
      // not there yet
    }
    mkdirSync(dir, { recursive: true });
  }

  private dir(id: string, controller?: string): string {
    const name = id.replace(/[^a-zA-Z0-9_-]/g, '_');
    // v2 only hands controllers down one level at a time, so its cgroups sit side by side right under tall/.
    return controller ? join(ROOT, controller, 'tall', this.scope, name) : join(ROOT, 'tall', `${this.scope}-${name}`);
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
