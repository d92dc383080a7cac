import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const run = promisify(execFile);

export interface Throughput {
  tool: string;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** wrk when installed (it costs the machine least, so the thing measured gets the cores), else autocannon. */
export async function measure(url: string, seconds: number, connections = 32): Promise<Throughput> {
  if (hasCommand('wrk')) {
    const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
    const p99Ms = p99 ? Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[p99[2]!]! : NaN;
    const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0) + Number(/Socket errors:.*?(\d+)/.exec(stdout)?.[1] ?? 0);
    return { tool: 'wrk', requestsPerSecond: rps, p99Ms, errors };
  }
  const result = await autocannon({ url, connections, duration: seconds });
  return { tool: 'autocannon', requestsPerSecond: result.requests.average, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}
