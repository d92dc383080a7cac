/**
 * Compose converts strings to numbers and booleans at known places after interpolation, before it checks types, so that
 * `replicas: ${REPLICAS:-2}` works (compose-go's interpolateTypeCastMapping). The same here, for the fields the kit reads
 * and the common ones Compose casts; a string that does not convert is an error naming the field and what it was written as.
 */
type Cast = 'integer' | 'number' | 'boolean';

/** Paths under a service; "*" is any key of a mapping, "[]" any item of a list. */
const SERVICE_CASTS: [string, Cast][] = [
  ['scale', 'integer'],
  ['deploy.replicas', 'integer'],
  ['deploy.restart_policy.max_attempts', 'integer'],
  ['deploy.update_config.parallelism', 'integer'],
  ['deploy.update_config.max_failure_ratio', 'number'],
  ['deploy.rollback_config.parallelism', 'integer'],
  ['deploy.rollback_config.max_failure_ratio', 'number'],
  ['healthcheck.retries', 'integer'],
  ['healthcheck.disable', 'boolean'],
  ['depends_on.*.required', 'boolean'],
  ['depends_on.*.restart', 'boolean'],
  ['env_file.[].required', 'boolean'],
  ['ports.[].target', 'integer'],
  ['ports.[].published', 'integer'],
  ['init', 'boolean'],
  ['privileged', 'boolean'],
  ['read_only', 'boolean'],
  ['stdin_open', 'boolean'],
  ['tty', 'boolean'],
  ['x-tall.readiness.failure_threshold', 'integer'],
  ['x-tall.autoscale.min', 'integer'],
  ['x-tall.autoscale.max', 'integer'],
  ['x-tall.autoscale.target.*', 'number'],
];

const PATTERNS = SERVICE_CASTS.map(([path, cast]) => ({ segments: path.split('.'), cast }));
const BOOLEANS: Record<string, boolean> = { true: true, yes: true, y: true, on: true, false: false, no: false, n: false, off: false };
const EXPECTED: Record<Cast, string> = { integer: 'a whole number', number: 'a number', boolean: 'true or false' };

export type CastFailure = (path: (string | number)[], expected: string, got: string) => void;

/** Converts, in place, the strings at the cast paths of every service in an interpolated document. */
export function castKnownFields(document: Record<string, unknown>, fail: CastFailure): void {
  const services = document.services;
  if (!isMapping(services)) return;
  for (const [name, service] of Object.entries(services)) {
    if (!isMapping(service)) continue;
    for (const { segments, cast } of PATTERNS) visit(service, segments, ['services', name], cast, fail);
  }
}

function visit(container: unknown, segments: string[], path: (string | number)[], cast: Cast, fail: CastFailure): void {
  const [segment, ...rest] = segments;
  const children: [string | number, unknown][] =
    segment === '*' ? (isMapping(container) ? Object.entries(container) : [])
    : segment === '[]' ? (Array.isArray(container) ? container.map((item, index) => [index, item]) : [])
    : isMapping(container) && segment! in container ? [[segment!, container[segment!]]] : [];
  for (const [key, child] of children) {
    if (rest.length > 0) {
      visit(child, rest, [...path, key], cast, fail);
    } else if (typeof child === 'string') {
      const converted = convert(child, cast);
      if (converted === undefined) fail([...path, key], EXPECTED[cast], child);
      else (container as Record<string | number, unknown>)[key] = converted;
    }
  }
}

function convert(text: string, cast: Cast): number | boolean | undefined {
  const trimmed = text.trim();
  if (cast === 'boolean') return BOOLEANS[trimmed.toLowerCase()];
  if (cast === 'integer') return /^[-+]?\d+$/.test(trimmed) ? Number(trimmed) : undefined;
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : undefined;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
