/**
 * How long the compose reader takes on a 5 MB compose file, and how much memory it needs: figures, never assertions.
 * Shapes: `services` (thousands of ordinary services; --no-anchors writes shared parts out instead of merging them) and
 * `wide` (one mapping with ~100,000 keys).
 * Run on its own (npx tsx platform/bench/compose-parse.ts [--shape services|wide] [--megabytes N] [--no-anchors]), so the
 * peak RSS is the reader's alone; run.ts starts it as a child process for that reason.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCompose } from '../src/compose/parse-compose.js';
import { generateLargeCompose, generateWideCompose } from './large-compose.js';

const option = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const bytes = (Number(option('--megabytes')) || 5) * 1024 * 1024;
const shape = option('--shape') ?? 'services';
const generated = shape === 'wide'
  ? (({ text, keys }) => ({ text, what: `1 service whose environment has ${keys} variables`, services: 1 }))(generateWideCompose(bytes))
  : (({ text, services }) => ({ text, what: `${services} services${process.argv.includes('--no-anchors') ? ', no anchors' : ''}`, services }))(generateLargeCompose(bytes, { anchors: !process.argv.includes('--no-anchors') }));
const file = join(mkdtempSync(join(tmpdir(), 'tall-compose-bench-')), 'compose.yaml');
writeFileSync(file, generated.text);
const rssBefore = process.memoryUsage().rss;

const started = performance.now();
const project = parseCompose(file, { env: {} });
const elapsed = performance.now() - started;

const mb = (value: number) => (value / 1024 / 1024).toFixed(0);
console.log(`   ${shape.padEnd(8)} ${(generated.text.length / 1024 / 1024).toFixed(1)} MB, ${generated.what}, ${project.warnings.length} warnings`);
console.log(`            parse ${(elapsed / 1000).toFixed(2)} s   peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB (${mb(rssBefore)} MB before parsing)`);
if (project.services.length !== generated.services) console.log(`            (expected ${generated.services} services, got ${project.services.length})`);
