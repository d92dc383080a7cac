// Lab 01 · does the healthcheck really ask /health? The check runs the compose file's healthcheck command the way the
// process runtime runs it (beside the service, with its environment, PORT being where to ask), but against a stand-in
// server of the check's own: once answering 200, once answering 500. A liveness probe must pass on the first, fail on
// the second, and have asked for /health.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brief, type ComposeService } from '../../platform/src/labs/check-api.js';

/** What the process runtime hands an instance from the shell (the rest comes from the compose file). */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SystemRoot', 'NODE_EXTRA_CA_CERTS'];

interface Run {
  code: number | null;
  timedOut: boolean;
  output: string;
  paths: string[];
}

function argvOf(test: string[]): string[] {
  const [form, ...rest] = test;
  return form === 'CMD-SHELL' ? ['sh', '-c', rest.join(' ')] : form === 'CMD' ? rest : test;
}

async function standIn(status: number): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const body = status < 400 ? '{"status":"ok"}' : '{"status":"failing"}';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

async function runAgainst(spec: ComposeService, status: number, timeoutMs: number, abortSignal: AbortSignal): Promise<Run> {
  const { server, port, paths } = await standIn(status);
  try {
    const argv = argvOf(spec.healthcheck!.test);
    const inherited = Object.fromEntries(INHERITED.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
    const env = { ...inherited, ...spec.environment, PORT: String(port), HOST: '127.0.0.1', INSTANCE_INDEX: '1', SERVICE_NAME: spec.name };
    return await new Promise<Run>((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: spec.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const collect = (chunk: Buffer) => {
        if (output.length < 2000) output += chunk.toString();
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      let timedOut = false;
      const stop = () => {
        timedOut = true;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(stop, timeoutMs);
      abortSignal.addEventListener('abort', stop, { once: true });
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve({ code: null, timedOut: false, output: error.message, paths });
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        abortSignal.removeEventListener('abort', stop);
        resolve({ code, timedOut, output: output.trim(), paths });
      });
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const pathOf = (url: string) => url.split('?')[0]!;

/**
 * Runs a service's healthcheck against a stand-in answering 200, then 500. Returns what is wrong with it as a probe of
 * /health, or undefined when it asks /health, passes on a 2xx and fails otherwise.
 */
export async function probeProblem(spec: ComposeService, abortSignal: AbortSignal): Promise<string | undefined> {
  const shown = brief(spec.healthcheck!.test.join(' '), 90);
  // Generous: a busy machine starts `node -e …` slowly; the platform's own timeout is the learner's business.
  const timeoutMs = Math.max(spec.healthcheck!.timeoutMs, 15_000);
  const healthy = await runAgainst(spec, 200, timeoutMs, abortSignal);
  const asked = healthy.paths.map(pathOf);
  if (healthy.timedOut) return `its healthcheck (${shown}) did not finish within ${timeoutMs / 1000} s even though /health answered 200 at once`;
  if (healthy.code !== 0) {
    return `its healthcheck (${shown}) fails even when /health answers 200 (exit ${healthy.code ?? 'none'}${healthy.output ? `: ${brief(healthy.output, 120)}` : ''})${asked.length === 0 ? '; it made no request to the port in $PORT' : ''}`;
  }
  if (asked.length === 0) return `its healthcheck (${shown}) passes without asking the service anything: no request reached the port in $PORT`;
  if (!asked.includes('/health')) return `its healthcheck (${shown}) asks ${[...new Set(asked)].join(', ')}, not /health`;
  const failing = await runAgainst(spec, 500, timeoutMs, abortSignal);
  if (failing.code === 0 && !failing.timedOut) return `its healthcheck (${shown}) passes even when /health answers 500: a probe that cannot fail never gets a stuck instance restarted (check the status, e.g. r.ok)`;
  return undefined;
}
