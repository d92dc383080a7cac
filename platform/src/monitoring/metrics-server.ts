import http from 'node:http';
import type { Registry } from 'prom-client';

/**
 * GET /metrics on 127.0.0.1, in Prometheus' text format, for a real Prometheus or Grafana to scrape: the router's
 * figures (from its thread), the platform's, and each instance's own (x-tall.metrics_path) with an `instance` label. Nothing here is secret (no credentials ever become a label), so it needs
 * no token; it is never reachable from the network.
 */
export class MetricsServer {
  private readonly server: http.Server;

  constructor(private readonly sources: { router: () => Promise<string>; platform: Registry; instances?: (reserved: ReadonlySet<string>) => string }) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/metrics`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('the platform\'s metrics are at GET /metrics\n');
      return;
    }
    const [router, platform] = await Promise.all([this.sources.router(), this.sources.platform.metrics()]);
    // The instances' own metrics last, without any family that would clash with the platform's.
    const reserved = new Set([...`${router}\n${platform}`.matchAll(/^# TYPE (\S+)/gm)].map((match) => match[1]!));
    const instances = this.sources.instances?.(reserved) ?? '';
    res.writeHead(200, { 'content-type': this.sources.platform.contentType }).end(`${router}\n${platform}${instances ? `\n${instances}` : ''}`);
  }
}
