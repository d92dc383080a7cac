/**
 * The dashboard, served by the control plane's API server on 127.0.0.1 under /dashboard: one static page, a small
 * client script, uPlot from node_modules, a JSON view and a Server-Sent Events stream that keeps the page live.
 *
 * Who may look: whoever holds the API token (or a one-time ticket `tall dashboard` opens the browser with, so the
 * token never sits in a browser's command line for `ps` to show). The token in the URL is exchanged for an HttpOnly
 * cookie that only lets its holder read the dashboard (not call the API), and the page is redirected to a URL without
 * it. A Host other than 127.0.0.1 / localhost is refused, so a web page can't reach it by DNS rebinding.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { DashboardView } from './dashboard-view.js';
import type { RedPoint } from './red-sampler.js';

export const DASHBOARD_PATH = '/dashboard';
const TICKET_MS = 60_000;
const MAX_STREAMS = 16;
const HEARTBEAT_MS = 15_000;
/** Vitals (scraped every 5 s) and the lab's progress change without an event: the page gets a fresh view this often. */
const REFRESH_MS = 5000;

const resolveModule = createRequire(import.meta.url).resolve;
const here = (name: string) => fileURLToPath(new URL(`./static/${name}`, import.meta.url));
const ASSETS: Record<string, { file: () => string; type: string }> = {
  'dashboard.js': { file: () => here('dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: () => here('dashboard.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { file: () => resolveModule('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: () => resolveModule('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

export interface DashboardOptions {
  /** the API token, which opens the dashboard too */
  token: () => string;
  /** the port the page is served on (the cookie is named after it: cookies for 127.0.0.1 are shared by every port) */
  port: () => number;
  view: () => DashboardView;
  history: () => readonly RedPoint[];
}

export class Dashboard {
  /** what the cookie holds: not the API token, so a cookie can read the dashboard and do nothing else */
  private readonly session = randomBytes(24).toString('hex');
  private readonly tickets = new Map<string, number>();
  private readonly streams = new Set<ServerResponse>();
  private readonly assets = new Map<string, Buffer>();
  private pending?: NodeJS.Timeout;
  private readonly timers: NodeJS.Timeout[];

  constructor(private readonly options: DashboardOptions) {
    this.timers = [
      setInterval(() => this.broadcast(': ping\n\n'), HEARTBEAT_MS),
      setInterval(() => this.viewChanged(), REFRESH_MS),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** A one-time code that opens the dashboard within a minute: what `tall dashboard` puts in the URL it opens. */
  ticket(): { ticket: string; expiresInMs: number } {
    const now = Date.now();
    for (const [ticket, expires] of this.tickets) if (expires < now) this.tickets.delete(ticket);
    const ticket = randomBytes(24).toString('hex');
    this.tickets.set(ticket, now + TICKET_MS);
    return { ticket, expiresInMs: TICKET_MS };
  }

  /** Something the page shows has changed: every open page gets a new view (at most one per 150 ms). */
  viewChanged(): void {
    if (this.streams.size === 0 || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.broadcast(event('view', this.options.view()));
    }, 150);
  }

  pushPoint(point: RedPoint): void {
    if (this.streams.size > 0) this.broadcast(event('sample', point));
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.pending);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  /** Handles requests under /dashboard (true), leaving the rest to the API (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== DASHBOARD_PATH && !url.pathname.startsWith(`${DASHBOARD_PATH}/`)) return false;
    const port = this.options.port();
    if (req.headers.host !== `127.0.0.1:${port}` && req.headers.host !== `localhost:${port}`) {
      return plain(res, 403, 'The dashboard answers only at 127.0.0.1 or localhost.\n');
    }
    if (req.method !== 'GET') return plain(res, 405, 'The dashboard is read-only.\n');
    const asset = url.pathname.startsWith(`${DASHBOARD_PATH}/static/`) ? ASSETS[url.pathname.slice(`${DASHBOARD_PATH}/static/`.length)] : undefined;
    if (asset) return this.sendAsset(res, url.pathname, asset);
    const given = url.searchParams.get('token');
    if (url.pathname === DASHBOARD_PATH && given !== null) {
      if (!this.admits(given)) return this.refuse(res, 'This link has expired or its token is wrong (a new "tall up" makes a new token).');
      res.writeHead(303, { ...SECURITY_HEADERS, location: DASHBOARD_PATH, 'set-cookie': `${this.cookieName()}=${this.session}; HttpOnly; SameSite=Strict; Path=${DASHBOARD_PATH}` });
      res.end();
      return true;
    }
    if (!this.hasSession(req)) return this.refuse(res, 'Open the dashboard with "npx tall dashboard": it prints a link that lets you in.');
    if (url.pathname === DASHBOARD_PATH) return this.sendPage(res);
    if (url.pathname === `${DASHBOARD_PATH}/view`) return json(res, { view: this.options.view(), history: this.options.history() });
    if (url.pathname === `${DASHBOARD_PATH}/stream`) return this.openStream(req, res);
    return plain(res, 404, 'Nothing here.\n');
  }

  private admits(given: string): boolean {
    const expires = this.tickets.get(given);
    if (expires !== undefined) {
      this.tickets.delete(given);
      return expires >= Date.now();
    }
    const token = Buffer.from(this.options.token());
    const offered = Buffer.from(given);
    return offered.length === token.length && timingSafeEqual(offered, token);
  }

  private cookieName(): string {
    return `tall_dashboard_${this.options.port()}`;
  }

  private hasSession(req: IncomingMessage): boolean {
    const name = `${this.cookieName()}=`;
    const value = (req.headers.cookie ?? '').split(';').map((part) => part.trim()).find((part) => part.startsWith(name))?.slice(name.length);
    if (!value) return false;
    const offered = Buffer.from(value);
    const expected = Buffer.from(this.session);
    return offered.length === expected.length && timingSafeEqual(offered, expected);
  }

  private openStream(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.streams.size >= MAX_STREAMS) return plain(res, 503, `At most ${MAX_STREAMS} dashboards may be open at once.\n`);
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write(`retry: 2000\n\n${event('view', this.options.view())}${event('history', this.options.history())}`);
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
    return true;
  }

  private broadcast(text: string): void {
    for (const stream of this.streams) stream.write(text);
  }

  private sendPage(res: ServerResponse): boolean {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' });
    res.end(this.asset('index.html', here('index.html')));
    return true;
  }

  private sendAsset(res: ServerResponse, path: string, asset: { file: () => string; type: string }): boolean {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type });
    res.end(this.asset(path, asset.file()));
    return true;
  }

  private asset(key: string, file: string): Buffer {
    let content = this.assets.get(key);
    if (!content) this.assets.set(key, (content = readFileSync(file)));
    return content;
  }

  private refuse(res: ServerResponse, why: string): boolean {
    res.writeHead(401, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><meta charset="utf-8"><title>Tall Enough · dashboard</title><p>${why}</p>\n`);
    return true;
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function json(res: ServerResponse, body: unknown): boolean {
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
  return true;
}

function plain(res: ServerResponse, status: number, text: string): boolean {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
  return true;
}
