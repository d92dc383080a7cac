import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { forEachLine } from '../process/line-splitter.js';
import { spawnDocker } from './docker-cli.js';

export interface ContainerDied {
  id: string;
  exitCode: number | null;
  service?: string;
  index?: number;
}

/**
 * Follows `docker events` for one Compose project and reports containers that die ('die', ContainerDied).
 * Started with `--since` the moment it is asked for, so a container that dies while the stream is still connecting is
 * reported all the same; if the stream breaks it reconnects from the last event it saw.
 *
 * Events: 'die' (ContainerDied), 'problem' (message: string) when the stream broke and is being reconnected.
 */
export class ContainerEvents extends EventEmitter {
  private child?: ChildProcess;
  private stopped = false;
  private since: string;
  private retry?: NodeJS.Timeout;
  /** time of the last event seen (ns, as a float): a reconnect replays from there, and replays are skipped */
  private lastNano = 0;

  constructor(private readonly projectName: string) {
    super();
    this.since = (Date.now() / 1000).toFixed(3);
  }

  start(): void {
    if (this.child || this.stopped) return;
    const child = spawnDocker([
      'events',
      '--since', this.since,
      '--filter', 'type=container',
      '--filter', `label=com.docker.compose.project=${this.projectName}`,
      '--filter', 'event=die',
      '--format', '{{json .}}',
    ]);
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    forEachLine(child.stdout, (line) => this.onLine(line));
    child.on('error', (error) => this.emit('problem', `docker events: ${error.message}`));
    child.on('close', (code) => {
      if (this.child === child) this.child = undefined;
      if (this.stopped) return;
      this.emit('problem', `docker events ended (exit ${code})${stderr.trim() ? `: ${stderr.trim()}` : ''}; reconnecting`);
      this.retry = setTimeout(() => this.start(), 1000);
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }

  private onLine(line: string): void {
    let event: { Action?: string; status?: string; id?: string; timeNano?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.timeNano) {
      if (event.timeNano <= this.lastNano) return;
      this.lastNano = event.timeNano;
      this.since = (event.timeNano / 1e9).toFixed(9);
    }
    const action = event.Action ?? event.status;
    if (action !== 'die') return;
    const attributes = event.Actor?.Attributes ?? {};
    const code = attributes.exitCode === undefined ? null : Number(attributes.exitCode);
    const index = attributes['com.docker.compose.container-number'];
    this.emit('die', {
      id: event.Actor?.ID ?? event.id ?? '',
      exitCode: Number.isFinite(code) ? code : null,
      service: attributes['com.docker.compose.service'],
      index: index === undefined ? undefined : Number(index),
    } satisfies ContainerDied);
  }
}
