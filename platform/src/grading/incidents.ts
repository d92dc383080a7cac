/**
 * What the platform saw a submission's services do while a lab was checked: crashes and their reasons (OOMKilled,
 * PidsLimit), failed healthchecks, listeners on all interfaces, output dropped for flooding. The checks say what did
 * not work; these say what the code did to the platform — the "why" a contained submission gets.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readLastEntries } from '../cli/follow-file.js';
import type { PlatformEvent } from '../monitoring/event-log.js';
import type { LogLine } from '../monitoring/log-store.js';

const EVENT_TYPES = new Set(['crashed', 'unhealthy', 'exposed', 'failed']);
/** the watchdog's "stopped by the watchdog (OOMKilled)", the log limiter's "N lines dropped" */
const LOG_PATTERNS = [/stopped by the /, /lines dropped in the last/];
const MAX_SCANNED = 2000;
const MAX_SHOWN = 8;

/** A crash the check caused: it sent the signal (a failover drill). A limit's kill says OOMKilled or PidsLimit instead. */
const CHECK_SIGNAL = /killed by SIG[A-Z]+$/;

/**
 * Incidents in the environments under `stateRoot` since `since` (ISO), alike ones counted once: "catalog/1 … (×4)".
 * `expectedToFail`: environments the lab expects not to start (a service refusing to run without a setting): theirs are
 * the lab's doing, not news.
 */
export function incidentsSince(stateRoot: string, since: string, expectedToFail: string[] = []): string[] {
  if (!existsSync(stateRoot)) return [];
  const lines: string[] = [];
  for (const env of readdirSync(stateRoot).filter((name) => !expectedToFail.includes(name))) {
    const dir = join(stateRoot, env);
    lines.push(...readLastEntries<PlatformEvent>(join(dir, 'events.jsonl'), MAX_SCANNED, (event) => event.time >= since && EVENT_TYPES.has(event.type) && !CHECK_SIGNAL.test(event.message)).entries.map((event) => `${event.type}: ${event.message}`));
    lines.push(...readLastEntries<LogLine>(join(dir, 'logs.jsonl'), MAX_SCANNED, (entry) => entry.time >= since && (entry.source === 'runtime' || entry.source === 'platform') && LOG_PATTERNS.some((pattern) => pattern.test(entry.line))).entries.map((entry) => entry.line));
  }
  // "catalog/2 crashed (exit 1)" and "catalog/1 crashed (exit 1)" are one incident: numbers that vary are folded.
  const kinds = new Map<string, { first: string; count: number }>();
  for (const line of lines) {
    const key = line.replace(/\/\d+\b/g, '/n').replace(/\b\d[\d,.]*\b/g, 'N');
    const kind = kinds.get(key);
    if (kind) kind.count += 1;
    else kinds.set(key, { first: line, count: 1 });
  }
  const shown = [...kinds.values()].map(({ first, count }) => `${first}${count > 1 ? ` (×${count})` : ''}`);
  return shown.length > MAX_SHOWN ? [...shown.slice(0, MAX_SHOWN), `… and ${shown.length - MAX_SHOWN} more kinds`] : shown;
}
