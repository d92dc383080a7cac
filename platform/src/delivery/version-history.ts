import { createHash } from 'node:crypto';
import type { ServiceSpec } from '../compose/model.js';

export type Outcome = 'running' | 'succeeded' | 'rolled back' | 'paused' | 'failed';

/** One version of a service: what `tall deploy --history` lists. */
export interface VersionRecord {
  service: string;
  version: number;
  time: string;
  strategy: 'up' | 'rolling' | 'blue-green';
  /** of the config and (docker) the image id: equal hashes run the same thing */
  hash: string;
  /** what differs from the version before, field by field ("environment.GREETING", "image") */
  changes: string[];
  outcome: Outcome;
  /** why it was rolled back, paused or failed */
  reason?: string;
  /** the version the service runs now */
  active: boolean;
}

interface Entry extends Omit<VersionRecord, 'active'> {
  spec: ServiceSpec;
  image?: string;
}

/** Every version of every service since `tall up` (kept by the control plane while it runs). */
export class VersionHistory {
  private readonly entries = new Map<string, Entry[]>();
  private readonly active = new Map<string, number>();

  /** v1: what `tall up` started. */
  begin(spec: ServiceSpec): void {
    this.entries.set(spec.name, [{ ...describe(spec, 1, 'up', undefined, []), outcome: 'succeeded' }]);
    this.active.set(spec.name, 1);
  }

  next(service: string): number {
    return Math.max(0, ...this.list(service).map((entry) => entry.version)) + 1;
  }

  /** A new version about to be rolled out (or whose build failed). */
  add(spec: ServiceSpec, strategy: VersionRecord['strategy'], image: string | undefined): Entry {
    const previous = this.current(spec.name);
    const entry: Entry = { ...describe(spec, spec.version!, strategy, image, previous ? changesBetween(previous, spec, image) : []), outcome: 'running' };
    this.list(spec.name).push(entry);
    return entry;
  }

  settle(service: string, version: number, outcome: Outcome, reason?: string): void {
    const entry = this.list(service).find((candidate) => candidate.version === version);
    if (!entry) return;
    entry.outcome = outcome;
    entry.reason = reason;
    if (outcome === 'succeeded' || outcome === 'paused') this.active.set(service, version);
  }

  /** Makes an earlier version the running one again (a rollback). */
  reinstate(service: string, version: number): void {
    this.active.set(service, version);
  }

  current(service: string): Entry | undefined {
    return this.list(service).find((entry) => entry.version === this.active.get(service));
  }

  /** The newest version before the active one that succeeded: where `tall rollback` goes. */
  previousGood(service: string): Entry | undefined {
    const active = this.active.get(service) ?? 0;
    return this.list(service).filter((entry) => entry.version < active && entry.outcome === 'succeeded').at(-1);
  }

  records(service: string): VersionRecord[] {
    return this.list(service).map(({ spec: _spec, image: _image, ...entry }) => ({ ...entry, active: entry.version === this.active.get(service) }));
  }

  private list(service: string): Entry[] {
    let list = this.entries.get(service);
    if (!list) this.entries.set(service, (list = []));
    return list;
  }
}

function describe(spec: ServiceSpec, version: number, strategy: VersionRecord['strategy'], image: string | undefined, changes: string[]): Omit<Entry, 'outcome'> {
  return { service: spec.name, version, time: new Date().toISOString(), strategy, hash: hashOf(spec, image), changes, spec, image };
}

/** The config a version runs with (what the platform itself sets per deploy or run left out) and its image. */
function hashOf(spec: ServiceSpec, image: string | undefined): string {
  return createHash('sha256').update(JSON.stringify([configOf(spec), image ?? null])).digest('hex').slice(0, 12);
}

function configOf(spec: ServiceSpec): Record<string, unknown> {
  const { version: _version, bindingEnvironment: _bindings, ...config } = spec;
  return config;
}

function changesBetween(before: Entry, after: ServiceSpec, image: string | undefined): string[] {
  const changes: string[] = [];
  const a = configOf(before.spec);
  const b = configOf(after);
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
    const left = a[key];
    const right = b[key];
    if (key === 'environment' && left && right) {
      const l = left as Record<string, string>;
      const r = right as Record<string, string>;
      for (const name of new Set([...Object.keys(l), ...Object.keys(r)])) if (l[name] !== r[name]) changes.push(`environment.${name}`);
    } else changes.push(key);
  }
  if (image && before.image && image !== before.image) changes.push('image');
  return changes;
}
