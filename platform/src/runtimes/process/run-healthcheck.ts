import { spawn } from 'node:child_process';
import type { ExecResult } from '../runtime.js';

/**
 * Runs a Compose healthcheck test on the host, with the instance's environment (so $PORT is the instance's own port).
 * ['CMD', argv...] runs the program directly; ['CMD-SHELL', line] runs it with sh -c, as Docker does.
 */
export function runHealthcheckCommand(test: string[], options: { env: Record<string, string>; cwd: string; timeoutMs: number }): Promise<ExecResult> {
  const [form, ...rest] = test;
  const argv = form === 'CMD-SHELL' ? ['sh', '-c', rest.join(' ')] : form === 'CMD' ? rest : test;
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
      resolve({ exitCode: timedOut ? null : code, output: output.trim(), timedOut });
    });
  });
}
