import type { InstanceRecord } from './broker-store.js';
import { findService } from './catalog.js';
import { connectionUrl, type Credentials, type Endpoint } from './credentials.js';

/** One binding as the app sees it: the instance, its credentials, and where the app reaches it. */
export interface BoundInstance {
  record: InstanceRecord;
  credentials: Credentials;
  endpoint: Endpoint;
  /** when this app was bound to it: the first binding of each marketplace service gives its URL variable */
  boundAt: string;
}

/**
 * The environment a service's bindings inject, as Cloud Foundry does: VCAP_SERVICES (its JSON, keyed by the
 * marketplace service, each binding with `credentials`), plus one URL per marketplace service — DATABASE_URL (the
 * Heroku/twelve-factor name most libraries read) for a database, BROKER_URL for a message broker — of its first binding
 * (by binding time) when there are several.
 */
export function bindingEnvironment(bound: BoundInstance[]): Record<string, string> {
  if (bound.length === 0) return {};
  const ordered = [...bound].sort((a, b) => a.boundAt.localeCompare(b.boundAt) || a.record.name.localeCompare(b.record.name));
  const vcap: Record<string, unknown[]> = {};
  const urls: Record<string, string> = {};
  for (const { record, credentials, endpoint } of ordered) {
    const uri = connectionUrl(credentials, endpoint);
    const variable = findService(record.service)?.urlVariable ?? 'DATABASE_URL';
    urls[variable] ??= uri;
    (vcap[record.service] ??= []).push({
      label: record.service,
      provider: null,
      plan: record.plan,
      name: record.name,
      instance_name: record.name,
      binding_name: null,
      tags: findService(record.service)?.tags ?? [],
      credentials: {
        uri,
        jdbcUrl: `jdbc:postgresql://${endpoint.host}:${endpoint.port}/${credentials.database}?user=${credentials.username}&password=${credentials.password}`,
        hostname: endpoint.host,
        port: endpoint.port,
        name: credentials.database,
        username: credentials.username,
        password: credentials.password,
      },
      syslog_drain_url: null,
      volume_mounts: [],
    });
  }
  return { ...urls, VCAP_SERVICES: JSON.stringify(vcap) };
}
