/**
 * Running a learner's program from a check (their tests, a build): it is untrusted, so it gets a time limit and only
 * the end of its output is kept. It runs in a process group of its own, so what it starts (test workers, a database
 * server) is stopped with it: SIGTERM to the group at the time limit or when the check's signal fires, SIGKILL a few
 * seconds later if anything is still there.
 */
import { spawn } from 'node:child_process';
import type { CommandOptions, CommandRun } from './check-api.js';
import { signalChildGroup, signalGroup } from '../util/process-identity.js';
import { sandboxed } from '../containment/sandbox.js';
import type { Containment } from '../containment/containment.js';

/** How long the group gets between SIGTERM and SIGKILL. */
const GRACE_MS = 5000;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024;

/** Keeps the last `max` bytes written to it, and whether anything was dropped. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const over = this.size - this.max;
      this.dropped = true;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
      }
    }
  }
  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    // A cut may land inside a multi-byte character: drop its remains.
    return this.dropped ? `…${text.replace(/^\uFFFD+/, '')}` : text;
  }
}

/** Runs `command args` (no shell). Never rejects: a non-zero exit, a time-out or a program that is not there is in the result. */
export function runBounded(command: string, args: string[], options: CommandOptions & { cwd: string; abortSignal?: AbortSignal; containment?: Containment }): Promise<CommandRun> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const shown = [command, ...args].join(' ');
  const started = Date.now();
  return new Promise((resolve) => {
    const stdout = new Tail(max);
    const stderr = new Tail(max);
    let timedOut = false;
    let stopped = false;
    let asked = false;
    let killTimer: NodeJS.Timeout | undefined;
    const [program, ...programArgs] = sandboxed([command, ...args], options.containment);
    const child = spawn(program!, programArgs, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    const stop = () => {
      if (stopped) return;
      stopped = true;
      signalChildGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => signalChildGroup(child, 'SIGKILL'), GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => stop();
    const onStop = () => {
      asked = !stopped;
      stop();
    };
    if (options.abortSignal?.aborted) stop();
    else if (options.stop?.aborted) onStop();
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });
    options.stop?.addEventListener('abort', onStop, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let spawnError: Error | undefined;
    child.on('error', (error) => (spawnError = error));
    // The program is done; anything it left in its group (a server it started and did not stop, holding the output
    // pipes open) goes too.
    child.on('exit', () => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL'));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
      options.stop?.removeEventListener('abort', onStop);
      if (killTimer) clearTimeout(killTimer);
      let err = stderr.text();
      if (spawnError) err = `${err}\ncould not run ${command}: ${spawnError.message}`.trim();
      if (timedOut) err = `${err}\nstopped: no end within ${(timeoutMs / 1000).toFixed(0)} s`.trim();
      else if (asked) err = `${err}\nstopped: as asked`.trim();
      else if (stopped) err = `${err}\nstopped: the check ran out of time`.trim();
      resolve({
        command: shown,
        code: spawnError ? null : code,
        signal: signal ?? null,
        stdout: stdout.text(),
        stderr: err,
        timedOut,
        truncated: stdout.dropped || stderr.dropped,
        ms: Date.now() - started,
      });
    });
  });
}
