import { randomBytes } from 'node:crypto';

/** What an app needs to log in to one instance. Kept only in credentials.json (0600) and in bound apps' environments. */
export interface Credentials {
  username: string;
  password: string;
  database: string;
}

/** Where a database answers: for the platform itself (loopback) and for bound apps (which may live in containers). */
export interface Endpoint {
  host: string;
  port: number;
}

/** Names Postgres accepts without quoting: shop-db -> shop_db. */
export function sqlName(instance: string): string {
  return instance.replace(/-/g, '_');
}

export function newCredentials(instance: string): Credentials {
  // Hex only: safe in a URL, in a shell, in Compose interpolation (no "$") and in an env file.
  return { username: sqlName(instance), password: randomBytes(18).toString('hex'), database: sqlName(instance) };
}

export function connectionUrl(credentials: Credentials, endpoint: Endpoint): string {
  return `postgres://${credentials.username}:${credentials.password}@${endpoint.host}:${endpoint.port}/${credentials.database}`;
}

/** postgres://shop:****@127.0.0.1:5433/shop: what people are shown instead of a URL. */
export function maskedUrl(credentials: Credentials, endpoint: Endpoint): string {
  return connectionUrl({ ...credentials, password: '****' }, endpoint);
}

/**
 * Replaces every known secret in a line with ****: what the platform writes to logs and events goes through it, so a
 * password an app (or a server) prints is masked before it is stored.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string): void {
    if (secret.length >= 8) this.secrets.add(secret);
  }

  redact(line: string): string {
    let out = line;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('****');
    return out;
  }
}
