import { join } from 'node:path';
import { readLastEntries } from '../cli/follow-file.js';
import type { LogLine } from '../monitoring/log-store.js';

/** Router lines that mean a request did not simply go through (the daemon writes "<kind> <route> (<instance>): …"). */
const FAULT = /^(retry|hedge|failed|timeout|no-instance|ejected) /;

/**
 * What the router of these environments had to do about failing requests since `since` (ISO time): retries, hedges,
 * gateway failures, ejections. A check that passed while the router quietly repaired the service's failures must not
 * pass — the failures are the service's, the repair the platform's.
 */
export function routerFaultsSince(stateDirs: string[], since: string): string[] {
  return stateDirs.flatMap((stateDir) =>
    readLastEntries<LogLine>(join(stateDir, 'logs.jsonl'), 200, (entry) => entry.source === 'router' && entry.time >= since && FAULT.test(entry.line)).entries.map((entry) => entry.line));
}

/** "the router retried 3 requests and hedged 1 during this check: …" */
export function describeFaults(lines: string[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const kind = FAULT.exec(line)![1]!;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const said = [...counts].map(([kind, count]) => `${kind} ×${count}`).join(', ');
  return `the router had to step in during this check (${said}) — e.g. "${lines[0]}". A request that works only because the router retried it elsewhere is a request the service broke; see "tall logs router" for every line.`;
}
