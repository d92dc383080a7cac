/**
 * How long the compose reader takes on a 5 MB compose file, and how much memory it needs: figures, never assertions.
 * Run on its own (npx tsx platform/bench/compose-parse.ts [--megabytes N] [--no-anchors]), so the peak RSS is the reader's alone;
 * run.ts starts it as a child process for that reason.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCompose } from '../src/compose/parse-compose.js';
import { generateLargeCompose } from './large-compose.js';

const megabytes = Number(process.argv[process.argv.indexOf('--megabytes') + 1]) || 5;
const { text, services } = generateLargeCompose(megabytes * 1024 * 1024, { anchors: !process.argv.includes('--no-anchors') });
const file = join(mkdtempSync(join(tmpdir(), 'tall-compose-bench-')), 'compose.yaml');
writeFileSync(file, text);
const rssBefore = process.memoryUsage().rss;

const started = performance.now();
const project = parseCompose(file, { env: {} });
const elapsed = performance.now() - started;

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
console.log(`   ${(text.length / 1024 / 1024).toFixed(1)} MB, ${services} services, ${project.warnings.length} warnings`);
console.log(`   parse ${(elapsed / 1000).toFixed(2)} s   peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB (${mb(rssBefore)} MB before parsing)`);
if (project.services.length !== services) console.log(`   (expected ${services} services, got ${project.services.length})`);
