import type { ChildProcess } from 'node:child_process';
import { forEachLine } from '../process/line-splitter.js';
import { spawnDocker } from './docker-cli.js';

/**
 * Follows each container's output with `docker logs -f`, and tags every line with the instance it came from
 * ('catalog/2'). A follower ends by itself when its container stops; after a restart a new one picks up from when the
 * previous run finished (`--since`), so no line is reported twice.
 */
export class ContainerLogs {
  private readonly followers = new Map<string, ChildProcess>();

  constructor(private readonly onLine: (source: string, line: string) => void) {}

  follow(containerId: string, source: string, since?: string): void {
    this.unfollow(containerId);
    const args = ['logs', '--follow'];
    if (since && !since.startsWith('0001-')) args.push('--since', since);
    const child = spawnDocker([...args, containerId]);
    this.followers.set(containerId, child);
    forEachLine(child.stdout, (line) => this.onLine(source, line));
    forEachLine(child.stderr, (line) => this.onLine(source, line));
    child.on('error', () => undefined);
    child.on('close', () => {
      if (this.followers.get(containerId) === child) this.followers.delete(containerId);
    });
  }

  /** Resolves once the follower of a stopped container has passed on its last lines (bounded: a stuck follower is not waited for). */
  settled(containerId: string, timeoutMs = 1500): Promise<void> {
    const child = this.followers.get(containerId);
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  unfollow(containerId: string): void {
    const child = this.followers.get(containerId);
    if (!child) return;
    this.followers.delete(containerId);
    child.kill('SIGTERM');
  }

  stopAll(): void {
    for (const id of [...this.followers.keys()]) this.unfollow(id);
  }
}
