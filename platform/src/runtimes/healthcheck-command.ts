import { spawn } from 'node:child_process';
import type { ExecResult } from './runtime.js';

/** A Compose healthcheck test as argv: ['CMD', argv...] runs the program; ['CMD-SHELL', line] runs `sh -c line`, as Docker does. */
export function healthcheckArgv(test: string[]): string[] {
  const [form, ...rest] = test;
  return form === 'CMD-SHELL' ? ['sh', '-c', rest.join(' ')] : form === 'CMD' ? rest : test;
}

/** Runs a command with a time limit; a command that overruns is killed and reported as timed out, never as passing. */
export function runWithTimeout(argv: string[], options: { timeoutMs: number; cwd?: string; env?: Record<string, string> }): Promise<ExecResult> {
  if (argv.length === 0) return Promise.resolve({ exitCode: null, output: 'empty healthcheck test', timedOut: false });
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < 4096) output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: null, output: error.message, timedOut: false });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: timedOut ? null : code, output: output.trim().slice(0, 4096), timedOut });
    });
  });
}
