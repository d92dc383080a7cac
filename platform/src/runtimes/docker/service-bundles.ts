import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceSpec } from '../../compose/model.js';
import type { Containment } from '../../containment/containment.js';
import { sandboxed } from '../../containment/sandbox.js';
import { signalChildGroup } from '../../util/process-identity.js';

const BUILD_TIMEOUT_MS = 120_000;

/**
 * Runs `npm run build --if-present` in the build context of every service that has one. Each service bundles its code
 * (esbuild, into dist/) on the host, so the image build only copies files and never downloads inside a container.
 * Runs them side by side; a failure names the service and shows the last lines of its output.
 */
export async function buildServiceBundles(services: ServiceSpec[], progress: (line: string) => void, containment?: Containment): Promise<void> {
  const withPackage = services.filter((service) => service.build && existsSync(join(service.build.context, 'package.json')));
  const results = await Promise.allSettled(
    withPackage.map(async (service) => {
      const started = Date.now();
      await npmBuild(service.name, service.build!.context, containment);
      progress(`${service.name}: bundled (npm run build) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }),
  );
  const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failures.length > 0) throw failures[0]!.reason;
}

/** The build script is the student's: graded, it runs in the sandbox, killed with its group after BUILD_TIMEOUT_MS. */
function npmBuild(serviceName: string, dir: string, containment?: Containment): Promise<void> {
  return new Promise((resolve, reject) => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const [command, ...args] = sandboxed([npm, 'run', 'build', '--if-present'], containment);
    const child = spawn(command!, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: process.env, detached: containment !== undefined });
    const timer = containment ? setTimeout(() => signalChildGroup(child, 'SIGKILL'), BUILD_TIMEOUT_MS) : undefined;
    child.on('exit', () => clearTimeout(timer));
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => reject(new Error(`service "${serviceName}": could not run npm in ${dir}: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const tail = output.trim().split('\n').slice(-15).join('\n');
      reject(new Error(`service "${serviceName}": "npm run build" failed in ${dir} (exit ${code}):\n${tail}`));
    });
  });
}
