import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { ResourceLimits } from '../../../compose/model.js';
import type { InstanceLimiter, LimitBreach } from './limiter.js';

const POLL_MS = 250;
const PAGE_BYTES = 4096;

interface Watched {
  pgid: number;
  limits: ResourceLimits;
  onBreach: (breach: LimitBreach) => void;
  breach?: LimitBreach;
}

/** Resident memory and process count of each process group, measured in one pass over all processes. */
type GroupUsage = Map<number, { rssBytes: number; processes: number }>;

/**
 * Where cgroups can't be made (a learner's laptop, no root): measure each instance's process group four times a second
 * and SIGKILL the whole group when it holds more memory, or more processes, than its limit. Coarser than the kernel
 * (a fast allocator overshoots by up to a quarter second's worth) and with no CPU limit, but it keeps a runaway
 * instance from taking the laptop down, and says why it stopped it.
 */
export class WatchdogLimiter implements InstanceLimiter {
  readonly mechanism = 'watchdog: memory and process count measured 4 times a second (no CPU limit without cgroups)';
  private readonly watched = new Map<string, Watched>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  launch(_id: string, argv: string[]): string[] {
    return argv;
  }

  started(id: string, pgid: number, limits: ResourceLimits, onBreach: (breach: LimitBreach) => void): void {
    this.watched.set(id, { pgid, limits, onBreach });
    this.timer ??= setInterval(() => void this.poll(), POLL_MS).unref();
  }

  breach(id: string): LimitBreach | undefined {
    return this.watched.get(id)?.breach;
  }

  release(id: string): void {
    this.watched.delete(id);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const usage = await groupUsage();
      for (const watched of this.watched.values()) {
        const used = usage.get(watched.pgid);
        if (!used || watched.breach) continue;
        // Processes first: summed RSS counts shared pages once per process, so a crowd of tiny processes also looks big.
        const breach = used.processes > watched.limits.pids ? 'PidsLimit' : used.rssBytes > watched.limits.memoryBytes ? 'OOMKilled' : undefined;
        if (!breach) continue;
        watched.breach = breach;
        try {
          process.kill(-watched.pgid, 'SIGKILL');
        } catch {
          // gone already
        }
        watched.onBreach(breach);
      }
    } finally {
      this.polling = false;
    }
  }
}

async function groupUsage(): Promise<GroupUsage> {
  return process.platform === 'linux' ? fromProc() : fromPs();
}

function fromProc(): GroupUsage {
  const usage: GroupUsage = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // After the command name: state, ppid, pgrp, … rss is field 24 of the file, 21 after the name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    add(usage, Number(fields[2]), Number(fields[21]) * PAGE_BYTES);
  }
  return usage;
}

function fromPs(): Promise<GroupUsage> {
  return new Promise((resolve) => {
    execFile('ps', ['-A', '-o', 'pgid=,rss='], { timeout: 2000 }, (error, stdout) => {
      const usage: GroupUsage = new Map();
      if (!error) {
        for (const line of stdout.split('\n')) {
          const [pgid, rssKb] = line.trim().split(/\s+/).map(Number);
          if (pgid && rssKb !== undefined) add(usage, pgid, rssKb * 1024);
        }
      }
      resolve(usage);
    });
  });
}

function add(usage: GroupUsage, pgid: number, rssBytes: number): void {
  const group = usage.get(pgid) ?? { rssBytes: 0, processes: 0 };
  group.rssBytes += rssBytes;
  group.processes += 1;
  usage.set(pgid, group);
}
