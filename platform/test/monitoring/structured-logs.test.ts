import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logPrettifier } from '../../src/cli/pretty-log.js';
import { traceRequest } from '../../src/monitoring/request-trace.js';
import { lineCarriesRequestId, mentionsId, structuredRecord } from '../../src/monitoring/structured-log.js';
import { MINI, TallSandbox } from '../support/tall-cli.js';

const pino = (fields: Record<string, unknown>) => JSON.stringify({ level: 30, time: 1_700_000_000_000, pid: 41, hostname: 'box', ...fields });
const stored = (time: string, source: string, line: string) => JSON.stringify({ time, source, line });

describe('service logs in pino\'s shape', () => {
  it('reads a JSON line with a level as a record; anything else is plain text', () => {
    expect(structuredRecord(pino({ msg: 'hi' }))).toMatchObject({ msg: 'hi' });
    for (const line of ['listening on :3000', '{"no":"level"}', '[1,2]', '{torn']) expect(structuredRecord(line)).toBeUndefined();
  });

  it('finds a request id in reqId, requestId, req.id, the logged x-request-id header, or as a whole word in the text', () => {
    expect(lineCarriesRequestId(pino({ reqId: 'r-1', msg: 'x' }), 'r-1')).toBe(true);
    expect(lineCarriesRequestId(pino({ requestId: 'r-1', msg: 'x' }), 'r-1')).toBe(true);
    expect(lineCarriesRequestId(pino({ req: { id: 'r-1' }, msg: 'x' }), 'r-1')).toBe(true);
    expect(lineCarriesRequestId(pino({ req: { id: 7, headers: { 'x-request-id': 'r-1' } }, msg: 'x' }), 'r-1')).toBe(true);
    expect(lineCarriesRequestId('charging card for r-1', 'r-1')).toBe(true);
    expect(lineCarriesRequestId('charging card for r-10', 'r-1')).toBe(false);
    expect(mentionsId('order-4711.', 'order-4711')).toBe(true);
    expect(mentionsId('xorder-4711', 'order-4711')).toBe(false);
  });

  it('shows level, message, request id and fields on one line (pino-http\'s request shortened), and plain text unchanged', () => {
    const pretty = logPrettifier(false);
    expect(pretty(pino({ reqId: 'abc', msg: 'listed products', count: 3 }))).toBe('INFO: [abc] listed products {"count":3}');
    expect(pretty(JSON.stringify({ level: 40, msg: 'slow' }))).toBe('WARN: slow');
    const http = pretty(pino({ req: { id: 'abc', method: 'GET', url: '/products', headers: { cookie: 'secret' } }, res: { statusCode: 200, headers: {} }, responseTime: 4, msg: 'request completed' }));
    expect(http).toBe('INFO: [abc] request completed {"req":"GET /products","res":200,"responseTime":4}');
    expect(pretty('plain text stays as it is')).toBe('plain text stays as it is');
    expect(pretty(JSON.stringify({ level: 50, msg: 'boom', err: { type: 'Error', message: 'x', stack: 'Error: x\n    at y' } }))).toMatch(/^ERROR: boom\n\s+err: \{/);
    expect(logPrettifier(true)(JSON.stringify({ level: 50, msg: 'boom' }))).toContain('\u001b[');
  });
});

describe('one request\'s path: tall logs --request', () => {
  function sandboxWithLogs(): TallSandbox {
    const tall = new TallSandbox(MINI);
    const dir = join(tall.stateDir, 'default');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'logs.1.jsonl'), `${stored('2025-01-01T00:00:00.100Z', 'web/1', pino({ reqId: 'order-4711', msg: 'placing order' }))}\n`);
    writeFileSync(join(dir, 'logs.jsonl'), [
      stored('2025-01-01T00:00:00.150Z', 'catalog/2', pino({ req: { id: 'order-4711', method: 'GET', url: '/products/1' }, res: { statusCode: 200 }, msg: 'request completed' })),
      stored('2025-01-01T00:00:00.160Z', 'payment/1', 'charging for order-4711'),
      stored('2025-01-01T00:00:00.170Z', 'payment/1', 'charging for order-47110'),
      stored('2025-01-01T00:00:00.180Z', 'catalog/1', pino({ reqId: 'other', msg: 'another request' })),
    ].join('\n') + '\n');
    // Access lines are written when the answer ends: web's after catalog's, though web's request began first.
    writeFileSync(join(dir, 'access.jsonl'), [
      { time: '2025-01-01T00:00:00.200Z', id: 'order-4711', method: 'GET', route: 'catalog', path: '/products/1', instance: 'catalog/2', status: 200, ms: 60 },
      { time: '2025-01-01T00:00:00.300Z', id: 'order-4711', method: 'POST', route: 'web', path: '/orders', instance: 'web/1', status: 201, ms: 250 },
      { time: '2025-01-01T00:00:00.300Z', id: 'other', method: 'GET', route: 'catalog', path: '/', instance: 'catalog/1', status: 200, ms: 1 },
    ].map((entry) => JSON.stringify(entry)).join('\n') + '\n');
    return tall;
  }

  it('puts access lines (at the time each request began) and log lines carrying the id in time order, across rotated files', async () => {
    const tall = sandboxWithLogs();
    const trace = await traceRequest(join(tall.stateDir, 'default'), 'order-4711');
    expect(trace.map((item) => (item.kind === 'access' ? `router ${item.entry.route}` : item.entry.source))).toEqual(['router web', 'web/1', 'router catalog', 'catalog/2', 'payment/1']);
  });

  it('prints it readable, or as JSON lines with --json; an unknown id says so and exits 1', async () => {
    const tall = sandboxWithLogs();
    const human = await tall.run(['logs', '--request', 'order-4711']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.trim().split('\n')).toEqual([
      '00:00:00.050  [router] POST /web/orders → web/1 201 in 250 ms',
      '00:00:00.100  [web/1] INFO: [order-4711] placing order',
      '00:00:00.140  [router] GET /catalog/products/1 → catalog/2 200 in 60 ms',
      '00:00:00.150  [catalog/2] INFO: [order-4711] request completed {"req":"GET /products/1","res":200}',
      '00:00:00.160  [payment/1] charging for order-4711',
    ]);
    const json = await tall.run(['logs', '--request', 'order-4711', '--json']);
    const items = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { kind: string; entry: { line?: string } });
    expect(items.map((item) => item.kind)).toEqual(['access', 'log', 'access', 'log', 'log']);
    expect(items[1]!.entry.line).toBe(pino({ reqId: 'order-4711', msg: 'placing order' }));
    const none = await tall.run(['logs', '--request', 'nobody-sent-this']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no access line or log line carries request id "nobody-sent-this"');
  });

  it('shows stored JSON lines readable in tall logs, raw with --json', async () => {
    const tall = sandboxWithLogs();
    const human = await tall.run(['logs', 'catalog/1']);
    expect(human.stdout.trim()).toBe('[catalog/1] INFO: [other] another request');
    const raw = await tall.run(['logs', 'catalog/1', '--json']);
    expect((JSON.parse(raw.stdout) as { line: string }).line).toBe(pino({ reqId: 'other', msg: 'another request' }));
  });
});
