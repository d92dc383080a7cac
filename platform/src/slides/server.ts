/**
 * `tall slides`: serves the deck on 127.0.0.1 (never another interface) and reloads open pages when a markdown file,
 * diagram or the lab manifest changes. Live reload is a Server-Sent Events stream at /__live: one long GET that the
 * browser's EventSource reconnects by itself, no WebSocket library needed.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watch, type FSWatcher } from 'chokidar';
import { buildDeck, type BuiltDeck } from './deck.js';
import { renderLabPage } from './labpage.js';
import { kitPaths } from './paths.js';
import { renderDeckPage } from './render.js';
import type { SlideWarning } from './types.js';

export const LIVE_PATH = '/__live';
const WATCHED = /\.(md|ya?ml|svg|png|jpe?g|gif|webp|css|js)$/i;

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(
      `port ${port} on 127.0.0.1 is already in use (is \`tall slides\` already running?). ` +
        `Use another one: tall slides --port ${port + 1}, or set TALL_SLIDES_PORT.`,
    );
    this.name = 'PortInUseError';
  }
}

export interface ServerOptions {
  root: string;
  /** 0 = any free port */
  port: number;
  /** watch the content and live-reload (default true) */
  watch?: boolean;
  /** called with the warnings of each (re)build */
  onBuild?: (deck: BuiltDeck, reason: string) => void;
  /** serve only this track's slides (slides/tracks/<name>.yaml) */
  track?: string;
}

export interface SlidesServer extends EventEmitter {
  url: string;
  port: number;
  deck(): BuiltDeck;
  /** rebuild now and tell open pages to reload */
  rebuild(reason?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startSlidesServer(options: ServerOptions): Promise<SlidesServer> {
  const { root } = options;
  const build = () => buildDeck({ root, track: options.track });
  let deck = await build();
  options.onBuild?.(deck, 'start');
  const clients = new Set<http.ServerResponse>();
  const events = new EventEmitter();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${(error as Error).message}\n`);
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === LIVE_PATH) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      send(res, 200, 'text/html', renderDeckPage(deck, { live: LIVE_PATH }));
      return;
    }
    const sitePath = decodeURIComponent(url.pathname.slice(1));
    if (sitePath.startsWith('labs/')) {
      const page = await renderLabPage(root, sitePath, deck, deck.labs);
      if (page) {
        send(res, 200, 'text/html', page.html);
        return;
      }
    }
    send(res, 404, 'text/plain', `not found: ${url.pathname}\nThe deck is at /\n`);
  }

  function send(res: http.ServerResponse, status: number, type: string, body: string): void {
    res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') reject(new PortInUseError(options.port));
      else if (error.code === 'EACCES') reject(new Error(`not allowed to listen on port ${options.port} (ports below 1024 need root); pick another with --port`));
      else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, '127.0.0.1');
  });
  const port = (server.address() as { port: number }).port;

  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let building: Promise<void> = Promise.resolve();
  const rebuild = (reason = 'manual'): Promise<void> => {
    building = building.then(async () => {
      try {
        deck = await build();
      } catch (error) {
        events.emit('error-build', error);
        return;
      }
      options.onBuild?.(deck, reason);
      for (const client of clients) client.write(`event: reload\ndata: ${JSON.stringify({ reason })}\n\n`);
      events.emit('rebuilt', deck, reason);
    });
    return building;
  };

  if (options.watch !== false) {
    const { slidesDir, labsDir } = kitPaths(root);
    const clientDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'client');
    watcher = watch([slidesDir, labsDir, clientDir], {
      ignoreInitial: true,
      ignored: (file, stats) => !!stats?.isFile() && !WATCHED.test(file),
    });
    watcher.on('all', (_event, file) => {
      // Editors write in bursts (temp file, rename, chmod): one rebuild per burst.
      clearTimeout(timer);
      timer = setTimeout(() => void rebuild(path.relative(root, file)), 80);
    });
    await new Promise<void>((resolve) => watcher!.once('ready', () => resolve()));
  }

  const keepAlive = setInterval(() => {
    for (const client of clients) client.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  return Object.assign(events, {
    url: `http://127.0.0.1:${port}/`,
    port,
    deck: () => deck,
    rebuild,
    async close() {
      clearTimeout(timer);
      clearInterval(keepAlive);
      await watcher?.close();
      for (const client of clients) client.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  });
}
