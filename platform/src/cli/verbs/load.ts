import type { Command } from 'commander';
import { CliError, color, printJson } from '../output.js';
import { requireRunning } from '../platform-handle.js';
import { asArgument } from '../arguments.js';
import { durationArgument } from '../../chaos/chaos-request.js';
import { UserError } from '../../control-plane/user-error.js';
import { runLoad, type LoadProgress, type LoadSummary } from '../../load/run-load.js';

interface LoadFlags {
  rps: number;
  for: number;
  connections: number;
  method: string;
  body?: string;
  header: Record<string, string>;
  env: string;
  json?: boolean;
}

const count = (what: string, max: number) => asArgument((text) => {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) throw new UserError(`${what}: "${text}" must be a whole number from 1 to ${max}`);
  return value;
});

function header(text: string, headers: Record<string, string>): Record<string, string> {
  const at = text.indexOf(':');
  if (at < 1) throw new UserError(`--header: "${text}" is not name:value, e.g. x-user:ada`);
  return { ...headers, [text.slice(0, at).trim().toLowerCase()]: text.slice(at + 1).trim() };
}

export function registerLoad(program: Command): void {
  program
    .command('load')
    .description('send load through the router at a fixed rate (autocannon): a live line each second, then ok, errors by status and p50/p95/p99')
    .argument('<path>', 'a path on the router, e.g. /catalog/products')
    .option('--rps <n>', 'requests per second, over all connections', count('--rps', 10_000), 20)
    .option('--for <duration>', 'how long, e.g. 30s (whole seconds: autocannon stops on a second)', asArgument((text) => durationArgument(text, '--for')), 10_000)
    .option('--connections <n>', 'connections to the router at once', count('--connections', 1000), 10)
    .option('--method <method>', 'HTTP method', 'GET')
    .option('--body <json>', 'a JSON body for each request (sets content-type: application/json)')
    .option('--header <name:value>', 'a request header (repeat for more)', asArgument(header), {})
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print only the summary, as JSON')
    .action(async (path: string, options: LoadFlags) => {
      if (!path.startsWith('/')) throw new CliError(`"${path}" is not a path on the router`, 'start it with /, e.g. npx tall load /catalog/products', 2);
      const headers = { ...options.header };
      if (options.body !== undefined) {
        try {
          JSON.parse(options.body);
        } catch (error) {
          throw new CliError(`--body is not JSON: ${(error as Error).message}`, `e.g. --body '{"items":2}'`, 2);
        }
        headers['content-type'] ??= 'application/json';
      }
      const { state } = requireRunning(options.env);
      const url = `${state.routerUrl}${path}`;
      const live = process.stdout.isTTY && !options.json;
      if (!options.json) console.log(color.dim(`${options.method.toUpperCase()} ${url} at ${options.rps} req/s for ${options.for / 1000} s over ${options.connections} connections (Ctrl-C stops early)`));
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      const summary = await runLoad(url, {
        rps: options.rps, durationMs: options.for, connections: options.connections, method: options.method, body: options.body, headers,
        signal: stop.signal,
        onProgress: options.json ? undefined : (progress) => process.stdout.write(live ? `\r${progressLine(progress)}\u001b[K` : `${progressLine(progress)}\n`),
      });
      if (live) process.stdout.write('\n');
      if (options.json) return printJson(summary);
      printSummary(summary, options.env);
    });
}

function progressLine(progress: LoadProgress): string {
  return `${String(Math.round(progress.elapsedMs / 1000)).padStart(4)} s   requests ${progress.requests}   ok ${progress.ok}   errors ${progress.errors}   ${progress.rate} req/s`;
}

function printSummary(summary: LoadSummary, env: string): void {
  const seconds = summary.durationMs / 1000;
  const failures = Object.entries(summary.byStatus).filter(([status]) => Number(status) >= 400).map(([status, n]) => `${status} ×${n}`);
  if (summary.connectionErrors) failures.push(`connection errors ×${summary.connectionErrors}`);
  if (summary.timeouts) failures.push(`timeouts ×${summary.timeouts}`);
  const paint = summary.errors === 0 ? color.green : color.yellow;
  console.log(paint(`${summary.errors === 0 ? '✔' : '!'} ${summary.requests} requests in ${seconds.toFixed(1)} s (${(summary.requests / seconds).toFixed(1)} req/s): ok ${summary.ok}, errors ${summary.errors}${failures.length ? ` (${failures.join(', ')})` : ''}`));
  const latency = summary.latencyMs;
  console.log(latency ? `latency  p50 ${ms(latency.p50)}   p95 ${ms(latency.p95)}   p99 ${ms(latency.p99)}   max ${ms(latency.max)}` : 'no answer came back');
  const flag = env === 'default' ? '' : ` --env ${env}`;
  console.log(`next: npx tall dashboard${flag} (rate, errors, p95 per service) · npx tall logs router${flag} · npx tall chaos${flag}`);
}

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
