/**
 * Prometheus' text exposition format, just enough to pass an instance's own metrics on: families (HELP, TYPE and their
 * samples) are read as they come, and written back out with an `instance` label added to every sample — what Prometheus
 * itself does to what it scrapes (an `instance` label the target already had becomes `exported_instance`).
 */

export interface Family {
  name: string;
  help?: string;
  type?: string;
  /** sample lines, without their trailing newline */
  samples: string[];
}

/** Series a family's samples may be named, besides the family's own name (histograms, summaries, counters). */
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_gsum', '_gcount', '_info'];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

const belongsTo = (sample: string, family: string) => sample === family || (sample.startsWith(family) && SUFFIXES.includes(sample.slice(family.length)));

export function parseExposition(text: string): Family[] {
  const families: Family[] = [];
  const open = (name: string): Family => {
    const family: Family = { name, samples: [] };
    families.push(family);
    return family;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/.exec(line);
      if (!meta) continue; // a plain comment, or OpenMetrics' # EOF
      // HELP and TYPE of one family come before its samples, in either order.
      const current = families.at(-1);
      const family = current !== undefined && current.name === meta[2] && current.samples.length === 0 ? current : open(meta[2]!);
      if (meta[1] === 'HELP') family.help = meta[3] ?? '';
      else family.type = (meta[3] ?? 'untyped').trim();
      continue;
    }
    const name = METRIC_NAME.exec(line)?.[0];
    if (!name) continue;
    const current = families.at(-1);
    (current && belongsTo(name, current.name) ? current : open(name)).samples.push(line);
  }
  return families;
}

const escapeLabelValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** One sample line with `instance="<id>"` as its first label; a label of that name it had becomes `exported_instance`. */
export function withInstanceLabel(sample: string, instance: string): string {
  const name = METRIC_NAME.exec(sample)![0];
  const added = `instance="${escapeLabelValue(instance)}"`;
  let rest = sample.slice(name.length);
  if (!rest.startsWith('{')) return `${name}{${added}}${rest}`;
  // Walk the label set (values may hold commas, braces and escaped quotes) to rename an `instance` label of its own.
  let labels = '';
  let at = 1;
  let expectName = true;
  while (at < rest.length && rest[at] !== '}') {
    const char = rest[at]!;
    if (char === '"') {
      let end = at + 1;
      while (end < rest.length && rest[end] !== '"') end += rest[end] === '\\' ? 2 : 1;
      labels += rest.slice(at, end + 1);
      at = end + 1;
      expectName = false;
      continue;
    }
    if (char === ',') expectName = true;
    else if (expectName && /[a-zA-Z_]/.test(char)) {
      const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(rest.slice(at))![0];
      labels += label === 'instance' ? 'exported_instance' : label;
      at += label.length;
      expectName = false;
      continue;
    }
    labels += char;
    at++;
  }
  rest = rest.slice(at + 1);
  return `${name}{${added}${labels.trim() ? `,${labels.replace(/^\s*,?/, '')}` : ''}}${rest}`;
}

/**
 * The families of several instances as one text: each family once (its samples from every instance together, as the
 * format requires), every sample labelled with its instance. A family named like one in `reserved` (the platform's
 * own), or typed differently by another instance, is left out rather than break the whole page for a scraper.
 */
export function mergeInstances(scrapes: { instance: string; families: Family[] }[], reserved: ReadonlySet<string> = new Set()): string {
  const merged = new Map<string, Family>();
  for (const { instance, families } of scrapes) {
    for (const family of families) {
      if (reserved.has(family.name)) continue;
      let into = merged.get(family.name);
      if (!into) merged.set(family.name, (into = { name: family.name, help: family.help, type: family.type, samples: [] }));
      else if ((into.type ?? 'untyped') !== (family.type ?? 'untyped')) continue;
      for (const sample of family.samples) into.samples.push(withInstanceLabel(sample, instance));
    }
  }
  let text = '';
  for (const family of merged.values()) {
    if (family.help !== undefined) text += `# HELP ${family.name} ${family.help}\n`;
    if (family.type !== undefined) text += `# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) text += `${sample}\n`;
  }
  return text;
}

/** The value of an unlabelled sample (`process_resident_memory_bytes 4.2e7`), if the families have one. */
export function plainValue(families: Family[], name: string): number | undefined {
  for (const family of families) {
    for (const sample of family.samples) {
      if (!sample.startsWith(name)) continue;
      const match = /^(\S+)\s+(\S+)/.exec(sample);
      if (match?.[1] === name) return Number(match[2]);
    }
  }
  return undefined;
}
