// Lab 11's test helper. Copy it into each service:   cp labs/11-contract-tests/run-service.ts services/<service>/test/
//
// Starts the service as it runs on the platform — `node --import tsx src/index.ts`, a process of its own — on a free
// port of 127.0.0.1, with the environment the test gives, and waits until GET /ready answers 200. The contract tests
// run the real service this way: nothing in src/ changes for a test.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface RunningService {
  /** http://127.0.0.1:<port> */
  url: string;
  /** the end of what it printed, for a failing test's message */
  output(): string;
  stop(): Promise<void>;
}

const HERE = fileURLToPath(new URL('..', import.meta.url));

export async function runService(env: Record<string, string>): Promise<RunningService> {
  const port = await freePort();
  // The test's own environment goes along (PATH, and whatever a check or CI sets), then the service's settings.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: HERE,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)) && lines.splice(0, Math.max(0, lines.length - 30));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const service: RunningService = {
    url: `http://127.0.0.1:${port}`,
    output: () => lines.join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited (code ${child.exitCode}) before it was ready:\n${service.output()}`);
    const ready = await fetch(`${service.url}/ready`).then((answer) => answer.ok, () => false);
    if (ready) return service;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await service.stop();
  throw new Error(`the service was not ready within 60 s:\n${service.output()}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}
