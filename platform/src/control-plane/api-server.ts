import { randomBytes, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { UserError } from './user-error.js';

export type ApiHandler = (body: Record<string, unknown>) => Promise<unknown>;
/** Pages served beside the API with their own access rule (the dashboard): true when it took the request. */
export type PageHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The control plane's API: loopback only, and every call must carry the token from the owner-only state file,
 * so another local user can't scale or kill your instances.
 */
export class ApiServer {
  readonly token = randomBytes(24).toString('hex');
  private readonly server: http.Server;
  private pages?: PageHandler;

  constructor(private readonly routes: Record<string, ApiHandler>) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  mount(pages: PageHandler): void {
    this.pages = pages;
  }

  get port(): number {
    return (this.server.address() as { port: number } | null)?.port ?? 0;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.pages?.(req, res)) return;
    } catch (error) {
      // A page that fails is a 500 for its reader, never an unhandled error that takes the control plane down.
      if (!res.headersSent) send(res, 500, { error: (error as Error).message });
      else res.destroy();
      return;
    }
    const given = Buffer.from(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(res, 401, { error: 'missing or wrong token' });
    const handler = this.routes[`${req.method} ${req.url}`];
    if (!handler) return send(res, 404, { error: `no API route ${req.method} ${req.url}` });
    try {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      send(res, 200, await handler(raw ? JSON.parse(raw) : {}));
    } catch (error) {
      // A user's mistake travels with its fix, so the CLI can say what to do, as it does for local errors.
      send(res, error instanceof UserError ? 400 : 500, { error: (error as Error).message, fix: error instanceof UserError ? error.fix : undefined });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? {}));
}
