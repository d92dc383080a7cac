/**
 * findSimilarity on real folders: a baseline, a published solution, and students who copied it whole, copied it with
 * names changed and lines rewrapped, copied each other, or did their own work. Also how long 30 copies take.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimilarityFinding } from '../../src/grading/grade-report.js';
import { findSimilarity } from '../../src/grading/similarity/find-similarity.js';

const root = mkdtempSync(join(tmpdir(), 'tall-similarity-test-'));

function write(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, dir, path)), { recursive: true });
    writeFileSync(join(root, dir, path), content);
  }
  return join(root, dir);
}

/** The starting code every student receives: identical in every honest submission too. */
const BASE_INDEX = `import express from 'express';

const PORT = Number(process.env.PORT ?? 3000);
const app = express();

app.get('/products', (_req, res) => {
  res.json([{ id: 'mug', name: 'Tall mug', priceCents: 1400 }, { id: 'duck', name: 'Rubber duck', priceCents: 900 }]);
});

app.get('/products/:id', (req, res) => {
  const product = [{ id: 'mug' }, { id: 'duck' }].find((p) => p.id === req.params.id);
  if (!product) return res.status(404).json({ error: 'no such product' });
  res.json(product);
});

app.listen(PORT, () => console.log(\`catalog listening on \${PORT}\`));
`;

/** The lab's work in the solution: a health module with a drain. */
const SOLUTION_HEALTH = `import type { Express } from 'express';
import type { Server } from 'node:http';

let draining = false;
let inFlight = 0;

export function lifecycle(app: Express): void {
  app.use((req, res, next) => {
    inFlight++;
    res.on('finish', () => { inFlight--; });
    next();
  });
  app.get('/health', (_req, res) => res.status(200).json({ status: 'ok', uptime: process.uptime() }));
  app.get('/ready', (_req, res) => (draining ? res.status(503).json({ ready: false }) : res.json({ ready: true })));
}

export function drainOnSigterm(server: Server, timeoutMs = 10_000): void {
  process.on('SIGTERM', () => {
    draining = true;
    server.close(() => process.exit(0));
    const deadline = setTimeout(() => process.exit(1), timeoutMs);
    deadline.unref();
    const poll = setInterval(() => {
      if (inFlight === 0) { clearInterval(poll); server.close(); }
    }, 50);
  });
}
`;

/** The same, names changed and lines rewrapped: a copy that tries not to look like one. */
const DISGUISED_HEALTH = `import type { Express } from 'express';
import type { Server } from 'node:http';

let stopping = false;
let active = 0;

export function addProbes(application: Express): void {
  application.use((request, response, proceed) => {
    active++;
    response.on('finish', () => { active--; });
    proceed();
  });
  application.get('/health', (_r, response) =>
    response.status(200).json({ status: 'ok', uptime: process.uptime() }));
  application.get('/ready', (_r, response) => (stopping ? response.status(503).json({ ready: false }) : response.json({ ready: true })));
}

export function stopGracefully(httpServer: Server, limitMs = 10_000): void {
  process.on('SIGTERM', () => {
    stopping = true;
    httpServer.close(() => process.exit(0));
    const timer = setTimeout(() => process.exit(1), limitMs);
    timer.unref();
    const check = setInterval(() => {
      if (active === 0) { clearInterval(check); httpServer.close(); }
    }, 50);
  });
}
`;

/** Another way to do the lab: a class, other routes, other structure. */
const HONEST_HEALTH = `import type { Express, Request, Response } from 'express';
import type { Server } from 'node:http';

export class Lifecycle {
  private state: 'serving' | 'draining' = 'serving';
  private readonly open = new Set<Response>();

  attach(app: Express): this {
    app.get('/health', (_req: Request, res: Response) => { res.sendStatus(204); });
    app.get('/ready', (_req: Request, res: Response) => {
      if (this.state === 'draining') res.status(503).send('draining');
      else res.send('ready');
    });
    return this;
  }

  watch(server: Server): void {
    server.on('request', (_req, res: Response) => {
      this.open.add(res);
      res.once('close', () => this.open.delete(res));
    });
    process.once('SIGTERM', () => {
      this.state = 'draining';
      server.close((error) => process.exit(error ? 1 : 0));
      for (const res of this.open) res.setHeader('connection', 'close');
    });
  }
}
`;

/** Two students' own, shared work (not in the solution). */
const PEER_HEALTH = `import type { Express } from 'express';
import type { Server } from 'node:http';

const state = { ready: true, pending: 0, since: Date.now() };

export function probes(app: Express, server: Server): void {
  app.use((_req, res, next) => {
    state.pending += 1;
    res.once('close', () => { state.pending -= 1; });
    next();
  });
  app.get('/health', (_req, res) => res.json({ alive: true, for: Date.now() - state.since }));
  app.get('/ready', (_req, res) => res.status(state.ready ? 200 : 503).end());
  process.once('SIGTERM', async () => {
    state.ready = false;
    while (state.pending > 0) await new Promise((r) => setTimeout(r, 25));
    server.close(() => process.exit(0));
  });
}
`;

const PACKAGE = JSON.stringify({ name: 'catalog', version: '1.0.0', type: 'module', dependencies: { express: '^5.0.0' } }, null, 2);

function services(health: string | undefined): Record<string, string> {
  return {
    'catalog/src/index.ts': BASE_INDEX,
    'catalog/package.json': PACKAGE,
    ...(health ? { 'catalog/src/health.ts': health } : {}),
    'catalog/node_modules/express/index.js': SOLUTION_HEALTH, // never looked at
  };
}

let findings: SimilarityFinding[];
const baseline = () => join(root, 'baseline');
const solution = () => join(root, 'solution');

function finding(kind: 'solution' | 'peer', ...students: string[]): SimilarityFinding | undefined {
  return findings.find((f) => f.kind === kind && f.students.length === students.length && students.every((s) => f.students.includes(s)));
}

describe('findSimilarity', () => {
  beforeAll(async () => {
    write('baseline', services(undefined));
    write('solution', services(SOLUTION_HEALTH));
    write('copier', services(SOLUTION_HEALTH));
    write('disguiser', services(DISGUISED_HEALTH));
    write('peer-a', services(PEER_HEALTH));
    // peer-b took peer-a's work and renamed a little
    write('peer-b', services(PEER_HEALTH.replace(/state/g, 'status').replace('25', '20')));
    write('honest', services(HONEST_HEALTH));
    write('unchanged', services(undefined));
    findings = await findSimilarity({
      baseline: baseline(),
      solutions: [{ lab: '01', servicesDir: solution() }],
      submissions: ['copier', 'disguiser', 'peer-a', 'peer-b', 'honest', 'unchanged'].map((student) => ({ student, servicesDir: join(root, student) })),
    });
    console.log(findings.map((f) => `${f.kind} ${f.students.join('+')} ${f.percent}% ${f.identical ? 'identical' : ''} — ${f.detail}`).join('\n'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('flags a submission identical to the solution as identical, 100 %', () => {
    expect(finding('solution', 'copier')).toMatchObject({ solution: '01', percent: 100, identical: true });
  });

  it('catches the solution with names changed and lines rewrapped as a near-copy, not as identical', () => {
    const disguised = finding('solution', 'disguiser');
    expect(disguised).toBeDefined();
    expect(disguised!.identical).toBe(false);
    expect(disguised!.percent).toBeGreaterThanOrEqual(60);
  });

  it('pairs two students who copied each other, and not with the solution', () => {
    const pair = finding('peer', 'peer-a', 'peer-b');
    expect(pair).toBeDefined();
    expect(pair!.identical).toBe(false);
    expect(finding('solution', 'peer-a')).toBeUndefined();
    expect(finding('solution', 'peer-b')).toBeUndefined();
  });

  it('leaves the honest student and the unchanged starting code out, though they share the baseline with everyone', () => {
    expect(findings.filter((f) => f.students.includes('honest'))).toEqual([]);
    expect(findings.filter((f) => f.students.includes('unchanged'))).toEqual([]);
  });

  it('does not report the copier and the disguiser as peers: what they share is the solution', () => {
    expect(finding('peer', 'copier', 'disguiser')).toBeUndefined();
  });

  it('counts the baseline out: with the starting code removed from the baseline, honest submissions would look alike', async () => {
    write('empty-baseline', { 'catalog/package.json': PACKAGE });
    const without = await findSimilarity({
      baseline: join(root, 'empty-baseline'),
      solutions: [],
      submissions: ['honest', 'peer-a'].map((student) => ({ student, servicesDir: join(root, student) })),
      threshold: 20,
    });
    const withBaseline = await findSimilarity({
      baseline: baseline(),
      solutions: [],
      submissions: ['honest', 'peer-a'].map((student) => ({ student, servicesDir: join(root, student) })),
      threshold: 20,
    });
    expect(without.map((f) => f.students)).toEqual([['honest', 'peer-a']]);
    expect(withBaseline).toEqual([]);
  });

  it('handles 30 submissions (timing printed, not asserted)', async () => {
    const many = Array.from({ length: 30 }, (_, i) => {
      const dir = join(root, `many-${i}`);
      cpSync(join(root, i % 3 === 0 ? 'honest' : i % 3 === 1 ? 'peer-a' : 'disguiser'), dir, { recursive: true });
      writeFileSync(join(dir, 'catalog/src/extra.ts'), `export const student = ${i};\n`);
      return { student: `s${i}`, servicesDir: dir };
    });
    const started = performance.now();
    const result = await findSimilarity({ baseline: baseline(), solutions: [{ lab: '01', servicesDir: solution() }], submissions: many });
    const ms = Math.round(performance.now() - started);
    console.log(`findSimilarity: 30 submissions, 1 solution, ${result.length} findings in ${ms} ms`);
    // Ten are the disguised solution (reported against it, not as 45 pairs); ten share honest's code and ten
    // peer-a's, each with the nine others of its kind: 2 × 45 pairs, none across kinds.
    const group = (student: string) => Number(student.slice(1)) % 3;
    expect(result.filter((f) => f.kind === 'solution').map((f) => group(f.students[0]!))).toEqual(Array(10).fill(2));
    const peers = result.filter((f) => f.kind === 'peer');
    expect(peers).toHaveLength(90);
    expect(peers.every((f) => group(f.students[0]!) === group(f.students[1]!) && group(f.students[0]!) !== 2)).toBe(true);
  });
});
