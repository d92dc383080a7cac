import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * When a process started, as an opaque string: with its pid, what tells "the process we started" from a stranger that got
 * the same pid later (pids wrap within minutes on a busy machine). Linux: /proc/<pid>/stat's start time in clock ticks
 * since boot; elsewhere `ps -o lstart=`. Undefined when the process is gone (or can't be asked about).
 */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A zombie has exited; only its parent's wait() is missing. It is no longer the process we started.
      return fields[0] === 'Z' ? undefined : fields[19];
    } catch {
      return undefined;
    }
  }
  try {
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Is `pid` still the process that had `startTime`? (No start time recorded: only whether something has that pid.) */
export function isSameProcess(pid: number, startTime: string | undefined): boolean {
  const now = processStartTime(pid);
  if (now === undefined) return process.platform === 'linux' ? false : isAlive(pid);
  return startTime === undefined ? true : now === startTime;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * SIGKILLs a process group we started, but only if its leader is still the process we started: never a stranger that
 * reuses the pid. Returns whether it signalled.
 */
export function killGroupIfSame(pid: number, startTime: string | undefined, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!isAlive(pid) || !isSameProcess(pid, startTime)) return false;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      return false;
    }
  }
  return true;
}

/** Signals a process group by its leader's pid (the leader alone where there are no groups, e.g. Windows). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Signals the process group of a child we started detached, so whatever it started goes too — unless it has ended. */
export function signalChildGroup(child: { pid?: number; exitCode?: number | null; signalCode?: NodeJS.Signals | null }, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode != null || child.signalCode != null) return;
  signalGroup(child.pid, signal);
}

/** Waits until the process is gone (or, with its start time, replaced by a stranger), at most `timeoutMs`; says whether it went. */
export async function waitUntilGone(pid: number, startTime: string | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isSameProcess(pid, startTime) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return !isSameProcess(pid, startTime);
}
