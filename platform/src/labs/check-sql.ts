/**
 * ctx.sql(): a check reaches a data-service instance as its operator would, with the credentials the broker keeps in
 * the environment's state folder (credentials.json) and the address `tall services` shows. Machinery, not content: a
 * lab never sees the password, only rows and PostgreSQL's messages.
 */
import pg from 'pg';
import { BrokerStore } from '../data-services/broker-store.js';
import { CheckFailed } from './check-api.js';

export interface SqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** The instance as `tall services --json` lists it: its masked URL says where the platform reaches it. */
export interface ListedInstance {
  name: string;
  server: string;
  url?: string;
}

/** Where and as whom to connect to `instance`, or a failure saying why it cannot be reached. */
export function sqlTarget(stateDir: string, listed: ListedInstance[], instance: string): SqlTarget {
  const found = listed.find((candidate) => candidate.name === instance);
  if (!found) throw new CheckFailed(`no data-service instance "${instance}" (instances: ${listed.map((candidate) => candidate.name).join(', ') || 'none'})`);
  if (found.server !== 'running' || !found.url) throw new CheckFailed(`data-service instance ${instance} is not running (its server is ${found.server})`);
  const credentials = new BrokerStore(stateDir).credentials(instance);
  if (!credentials) throw new CheckFailed(`the platform has no credentials for ${instance}`);
  const url = new URL(found.url);
  return { host: url.hostname, port: Number(url.port || 5432), user: credentials.username, password: credentials.password, database: credentials.database };
}

/** One statement, one connection: no pool outlives the check. */
export async function runSql<Row>(target: SqlTarget, instance: string, statement: string, values: unknown[] = [], abortSignal?: AbortSignal): Promise<Row[]> {
  const client = new pg.Client({ ...target, connectionTimeoutMillis: 10_000, query_timeout: 60_000 });
  client.on('error', () => undefined);
  const onAbort = () => void client.end().catch(() => undefined);
  abortSignal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    const result = await client.query(statement, values);
    // A multi-statement text without values answers one result per statement: the last one's rows.
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return ((last as pg.QueryResult | undefined)?.rows ?? []) as Row[];
  } catch (error) {
    if (abortSignal?.aborted) throw new CheckFailed(`ran out of time during SQL on ${instance}`);
    throw new CheckFailed(`SQL on ${instance} failed: ${(error as Error).message.split(target.password).join('****')}`);
  } finally {
    abortSignal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}
