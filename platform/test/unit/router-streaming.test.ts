import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from '../../src/routing/router.js';
import { freePort } from '../../src/util/ports.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Bodies through the router: large answers to slow readers (backpressure), streamed uploads, 1xx, HEAD, no body. */
describe('Router: bodies stream through intact', () => {
  let router: Router;
  let base: string;
  let upstream: http.Server;
  const big = randomBytes(8 * 1024 * 1024);

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        // In pieces, honouring backpressure, as a real service streams a file.
        Readable.from((function* () { for (let at = 0; at < big.length; at += 64 * 1024) yield big.subarray(at, at + 64 * 1024); })()).pipe(res);
        return;
      }
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        let size = 0;
        req.on('data', (chunk: Buffer) => { hash.update(chunk); size += chunk.length; });
        req.on('end', () => res.end(JSON.stringify({ size, sha: hash.digest('hex') })));
        return;
      }
      if (req.url === '/early-hints') {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        res.end('after hints');
        return;
      }
      if (req.url === '/empty') {
        res.writeHead(204).end();
        return;
      }
      res.setHeader('x-custom', 'kept');
      res.end('plain');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    router = new Router({ hosts: ['127.0.0.1'], port: await freePort() });
    router.declare('files');
    router.setMember('files', { id: 'files/1', host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }, true);
    await router.listen();
    base = `http://127.0.0.1:${router.port}`;
  });
  afterAll(async () => {
    await router.close();
    upstream.closeAllConnections();
    upstream.close();
  });

  it('passes an 8 MB answer to a reader that pauses, byte for byte', async () => {
    const received = await new Promise<Buffer>((resolve, reject) => {
      http.get(`${base}/files/big`, (res) => {
        const chunks: Buffer[] = [];
        let paused = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          // A slow reader: the router must hold the instance back rather than buffer the whole answer.
          if (paused++ % 16 === 0) {
            res.pause();
            setTimeout(() => res.resume(), 5);
          }
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      }).on('error', reject);
    });
    expect(received.length).toBe(big.length);
    expect(sha(received)).toBe(sha(big));
  });

  it('streams a chunked upload of unknown length (a POST, tried once) to the instance whole', async () => {
    const upload = randomBytes(3 * 1024 * 1024);
    const answer = await fetch(`${base}/files/upload`, {
      method: 'POST',
      body: Readable.toWeb(Readable.from((function* () { for (let at = 0; at < upload.length; at += 100_000) yield upload.subarray(at, at + 100_000); })())) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(await answer.json()).toEqual({ size: upload.length, sha: sha(upload) });
  });

  it('answers after informational (1xx) answers, HEAD without a body, 204 without one, headers kept', async () => {
    expect(await (await fetch(`${base}/files/early-hints`)).text()).toBe('after hints');
    const head = await fetch(`${base}/files/x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-custom')).toBe('kept');
    expect(head.headers.get('x-instance')).toBe('files/1');
    expect(await head.text()).toBe('');
    const empty = await fetch(`${base}/files/empty`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });
});
