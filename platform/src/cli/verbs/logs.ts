import { join } from 'node:path';
import type { Command } from 'commander';
import type { LogLine } from '../../monitoring/log-store.js';
import { color } from '../output.js';
import { locate } from '../platform-handle.js';
import { readJsonLines } from '../follow-file.js';

const palette = [color.cyan, color.green, color.yellow, color.bold];

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description('all instances\' output interleaved, each line tagged with its source: [catalog/1], [router], [platform]')
    .argument('[service]', 'only this service (or "router" / "platform")')
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --tail <lines>', 'only the last N lines', (value) => Number(value))
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--json', 'one JSON object per line: {time, source, line}')
    .action(async (service: string | undefined, options: { follow?: boolean; tail?: number; env: string; json?: boolean }) => {
      const { env } = locate(options.env);
      const matches = (entry: LogLine) => !service || entry.source === service || entry.source.startsWith(`${service}/`);
      const print = (entry: LogLine) => {
        if (options.json) return console.log(JSON.stringify(entry));
        const paint = palette[[...entry.source].reduce((sum, char) => sum + char.charCodeAt(0), 0) % palette.length]!;
        console.log(`${paint(`[${entry.source}]`)} ${entry.line}`);
      };
      const file = join(env.stateDir, 'logs.jsonl');
      const backlog: LogLine[] = [];
      await readJsonLines<LogLine>(file, (entry) => matches(entry) && backlog.push(entry), false);
      for (const entry of options.tail ? backlog.slice(-options.tail) : backlog) print(entry);
      if (backlog.length === 0 && !options.follow && !options.json) console.log(color.dim(`no log lines yet${service ? ` for "${service}"` : ''}; start the platform with "npx tall up"`));
      if (options.follow) {
        let skip = backlog.length;
        await readJsonLines<LogLine>(file, (entry) => {
          if (!matches(entry)) return;
          if (skip > 0) return void skip--;
          print(entry);
        }, true);
      }
    });
}
