// Lab 08 · a small reader of Prometheus' text format (what prom-client and every Prometheus client serve), for the checks.
// Node only: a checks.ts uses the engine through check-api.ts alone, so this reads the text itself.

export interface Sample {
  /** the series' name as written, e.g. http_requests_total or http_request_duration_seconds_count */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  /** counter, gauge, histogram, summary, untyped */
  type: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/g;

/** Families in the order they appear; a sample is put in the family its name belongs to (…_bucket, _count, _sum, _total). */
export function parsePrometheus(text: string): Family[] {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { name, type: 'untyped', samples: [] }));
    return found;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
    if (type) {
      family(type[1]!).type = type[2]!.toLowerCase();
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[3] ?? '').matchAll(LABEL)) labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const name = match[1]!;
    const value = Number(match[4]);
    const owner = [name, name.replace(/_(bucket|count|sum|total|created)$/, '')].find((candidate) => families.has(candidate)) ?? name;
    family(owner).samples.push({ name, labels, value });
  }
  return [...families.values()];
}
