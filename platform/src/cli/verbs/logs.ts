import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { LogLine } from '../../monitoring/log-store.js';
import { color, writeOut } from '../output.js';
import { locate } from '../platform-handle.js';
import { followFile, readAllEntries, readLastEntries, type FollowFrom } from '../follow-file.js';
import { logPrettifier } from '../pretty-log.js';
import { traceRequest, type TraceEntry } from '../../monitoring/request-trace.js';

const palette = [color.cyan, color.green, color.yellow, color.bold];

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description('all instances\' output interleaved, each line tagged with its source: [catalog/1], [router], [platform]')
    .argument('[service]', 'only this service (or "router" / "platform")')
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --tail <lines>', 'only the last N lines', parseLineCount)
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--request <id>', 'one request\'s path through every service: the router\'s access lines for that x-request-id and every log line carrying it, in time order')
    .option('--json', 'one JSON object per line, as stored: {time, source, line} (with --request: {kind, time, entry})')
    .action(async (service: string | undefined, options: { follow?: boolean; tail?: number; env: string; json?: boolean; request?: string }) => {
      const { env, state } = locate(options.env);
      if (options.request !== undefined) return showRequest(env.stateDir, options.request, Boolean(options.json));
      const pretty = logPrettifier(color.enabled);
      const file = join(env.stateDir, 'logs.jsonl');
      const follow = Boolean(options.follow);
      const sources = new Set<string>();
      const matches = (entry: LogLine) => {
        sources.add(entry.source);
        return !service || entry.source === service || entry.source.startsWith(`${service}/`);
      };
      let printed = 0;
      const print = async (entries: LogLine[]) => {
        if (entries.length === 0) return;
        printed += entries.length;
        await writeOut(`${entries.map((entry) => (options.json ? JSON.stringify(entry) : human(entry, pretty))).join('\n')}\n`);
      };
      let from: FollowFrom | undefined;
      if (options.tail === undefined) from = await readAllEntries<LogLine>(file, (entries) => print(entries.filter(matches)), follow);
      else {
        const last = readLastEntries<LogLine>(file, options.tail, matches, follow);
        await print(last.entries);
        from = last.from;
      }
      if (printed === 0 && options.tail !== 0 && !options.json) {
        const envFlag = env.name === 'default' ? '' : ` --env ${env.name}`;
        console.error(color.dim(nothingFound(service, sources, state?.services.map((s) => s.name) ?? [], Boolean(state), envFlag)));
      }
      if (follow) await followFile<LogLine>(file, from, (entries) => print(entries.filter(matches)));
    });
}

function sourceTag(source: string): string {
  const paint = palette[[...source].reduce((sum, char) => sum + char.charCodeAt(0), 0) % palette.length]!;
  return paint(`[${source}]`);
}

function human(entry: LogLine, pretty: (line: string) => string): string {
  return `${sourceTag(entry.source)} ${pretty(entry.line)}`;
}

async function showRequest(stateDir: string, id: string, json: boolean): Promise<void> {
  const trace = await traceRequest(stateDir, id);
  if (json) {
    if (trace.length > 0) await writeOut(`${trace.map((item) => JSON.stringify(item)).join('\n')}\n`);
    return;
  }
  if (trace.length === 0) {
    console.error(color.dim(`no access line or log line carries request id "${id}". Ids are in every answer's x-request-id header; access lines are kept in access.jsonl (rotated like the logs)`));
    process.exitCode = 1;
    return;
  }
  const pretty = logPrettifier(color.enabled);
  await writeOut(`${trace.map((item) => `${color.dim(item.time.slice(11, 23))}  ${traced(item, pretty)}`).join('\n')}\n`);
}

/** An access line reads as the router saw the request: where it went, who answered, how, and how long it took. */
function traced(item: TraceEntry, pretty: (line: string) => string): string {
  if (item.kind === 'log') return human(item.entry, pretty);
  const { method, route, path, instance, status, ms } = item.entry;
  const paint = status >= 500 ? color.red : status >= 400 ? color.yellow : color.green;
  return `${sourceTag('router')} ${method} /${route}${path} → ${instance ?? 'no instance'} ${paint(String(status))} in ${ms} ms`;
}

function parseLineCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a number of lines; use a whole number, e.g. 20.`);
  return Number(value);
}

/** Why a `tall logs` printed nothing, and what to run instead: never "start the platform" while it runs. */
function nothingFound(service: string | undefined, sources: Set<string>, services: string[], running: boolean, envFlag: string): string {
  if (sources.size === 0 || !service) return running ? 'no log lines yet' : `no log lines yet; start the platform with "npx tall up${envFlag}"`;
  const name = service.split('/')[0]!;
  const isService = services.includes(name) || [...sources].some((source) => source.startsWith(`${name}/`));
  const what = service === 'router'
    ? 'the router logs when it starts and stops, and each request it retried or could not forward; a request that went through leaves no line'
    : service === 'platform'
      ? 'the platform logs its start-up, every event (see "npx tall events") and how many lines it dropped from a source writing too fast'
      : isService
        ? `its instances log what they write to stdout and stderr (as ${name}/1, ${name}/2, …), and have written nothing yet`
        : 'no service of that name has written to this log';
  return `no lines from "${service}": ${what}.\nsources in the log: ${[...sources].sort().join(', ')}\nevery line: npx tall logs${envFlag}`;
}
