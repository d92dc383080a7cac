import { dirname, relative, resolve } from 'node:path';
import { castKnownFields } from './cast-fields.js';
import { resolveDependencies } from './dependencies.js';
import { ComposeError } from './errors.js';
import { pathKey, subject } from './field-path.js';
import { interpolateDeep } from './interpolate.js';
import { collected, loadYaml, type LocatedYaml } from './load-yaml.js';
import type { DataServiceDeclaration, ProjectSpec, ServiceSpec, Warning } from './model.js';
import { CATALOG, findService, INSTANCE_NAME } from '../data-services/catalog.js';
import { normalizeService, ServiceProblem, type Dependency } from './normalize-service.js';
import { warnUnsupportedFields } from './supported-fields.js';
import { validateSchema } from './validate-schema.js';
import { containedComposeProblems } from '../containment/compose-policy.js';

export interface ParseOptions {
  /** Variables for ${VAR} interpolation (the shell's env plus the environment's env file). */
  env?: Record<string, string | undefined>;
  /** Active profiles; services with other profiles are left out, as in Compose. Default: COMPOSE_PROFILES. */
  profiles?: string[];
  /** a graded submission: fields that would undo the containment are errors (containment/compose-policy.ts), and paths must stay in servicesDir */
  contained?: { servicesDir: string };
}

const SERVICE_NAME = /^[a-zA-Z0-9._-]+$/;

/**
 * Reads a compose file the way Compose does — YAML, interpolation, type casts, the specification's schema — then the
 * kit's own rules, into the services the runtimes start. Throws the first ComposeError found (in file order); it carries
 * every problem of the same stage in `problems` and the warnings gathered so far in `warnings`.
 */
export function parseCompose(file: string, options: ParseOptions = {}): ProjectSpec {
  const absolute = resolve(file);
  const displayName = relative(process.cwd(), absolute) || absolute;
  const yaml = loadYaml(absolute, displayName);
  const env = { ...process.env, ...(options.env ?? {}) };
  const found = new Findings(yaml);
  for (const warning of yaml.warnings) found.warnAt(warning.position, warning.message);

  warnUnsupportedFields(yaml.value, (path, message) => found.warn(path, message));

  const unset = new Map<string, string[]>();
  const document = interpolateDeep(yaml.value, env, {
    error: (path, message) => found.error(path, `${subject(path)}: ${message}`),
    unset: (path, name) => {
      const key = pathKey(path);
      unset.set(key, [...(unset.get(key) ?? []), name]);
      found.warnOnce(`unset ${name}`, path, `${subject(path)}: the variable ${name} is not set, so "" is used; set it, or give a default: \${${name}:-default}`);
    },
  }) as Record<string, unknown>;

  const services = document.services;
  if (!services || typeof services !== 'object' || Array.isArray(services)) {
    found.error(['services'], 'no "services:" mapping found; a compose file lists its services under "services:"');
    found.throwIfAny();
  }
  const castFailures = new Set<string>();
  castKnownFields(document, (path, expected, got) => {
    castFailures.add(pathKey(path));
    const written = writtenAs(yaml, path);
    const variables = unset.get(pathKey(path));
    found.error(path, `${subject(path)} must be ${expected}, got "${got}"${written !== undefined && written !== got ? ` from "${written}"` : ''}${variables ? ` (${variables.join(', ')} ${variables.length > 1 ? 'are' : 'is'} not set)` : ''}`);
  });
  // A failed cast leaves the string in place, which the schema would report a second time.
  for (const problem of validateSchema(document)) if (!castFailures.has(pathKey(problem.path))) found.error(problem.path, problem.message);
  if (options.contained) for (const problem of containedComposeProblems(document, dirname(absolute), options.contained.servicesDir)) found.error(problem.path, problem.message);
  for (const name of Object.keys(services as object)) {
    if (!SERVICE_NAME.test(name)) found.error(['services', name], `service name "${name}" may only have letters, digits, ".", "_" and "-"; rename it`);
  }
  found.throwIfAny();

  const dir = dirname(absolute);
  const all: ServiceSpec[] = [];
  const dependencies = new Map<string, Record<string, Dependency>>();
  for (const [name, raw] of Object.entries(services as Record<string, Record<string, unknown>>)) {
    try {
      const { spec, dependencies: written } = normalizeService(raw, { name, dir, env, warn: (path, message) => found.warn(['services', name, ...path], message) });
      all.push(spec);
      dependencies.set(name, written);
    } catch (error) {
      if (!(error instanceof ServiceProblem)) throw error;
      found.error(['services', name, ...error.path], error.message);
    }
  }
  found.throwIfAny();
  resolveDependencies(all, dependencies, { error: ({ path, message }) => found.error(path, message), warn: ({ path, message }) => found.warn(path, message) });
  found.throwIfAny();
  const dataServices = parseDataServices(document['x-tall'], all, (path, message) => found.error(path, message));
  found.throwIfAny();

  const profiles = options.profiles ?? (env.COMPOSE_PROFILES ? env.COMPOSE_PROFILES.split(',') : []);
  const active = all.filter((spec) => spec.profiles.length === 0 || spec.profiles.some((p) => profiles.includes(p)));
  // A dependency on a service whose profile is off is dropped, so the rest can still start.
  const activeNames = new Set(active.map((spec) => spec.name));
  for (const spec of active) spec.dependsOn = Object.fromEntries(Object.entries(spec.dependsOn).filter(([name]) => activeNames.has(name)));
  return { file: absolute, dir, services: active, dataServices, warnings: found.sortedWarnings() };
}

/**
 * The top-level `x-tall.services` (data-service instances `tall up` provisions), checked against the marketplace, and
 * every service's `x-tall.bind` checked against them: each mistake names what exists.
 */
function parseDataServices(raw: unknown, services: ServiceSpec[], error: (path: (string | number)[], message: string) => void): DataServiceDeclaration[] {
  const declared = ((raw as { services?: Record<string, { service: string; plan?: string }> } | null | undefined)?.services) ?? {};
  const names = Object.keys(declared);
  const result: DataServiceDeclaration[] = [];
  for (const [name, entry] of Object.entries(declared)) {
    const at = ['x-tall', 'services', name];
    if (!INSTANCE_NAME.test(name)) error(at, `data service name "${name}" must be lowercase letters, digits and "-", starting with a letter (at most 41 characters), e.g. shop-db`);
    if (services.some((service) => service.name === name)) error(at, `data service "${name}" has the name of a service of this file; give it another, e.g. ${name}-db`);
    const offered = findService(entry.service);
    if (!offered) {
      error([...at, 'service'], `data service "${name}": the marketplace has no service "${entry.service}" (it has: ${CATALOG.map((service) => service.name).join(', ')})`);
      continue;
    }
    const plan = entry.plan ?? offered.defaultPlan;
    if (!offered.plans.some((candidate) => candidate.name === plan)) {
      error([...at, 'plan'], `data service "${name}": ${offered.name} has no plan "${plan}" (plans: ${offered.plans.map((candidate) => candidate.name).join(', ')})`);
      continue;
    }
    result.push({ name, service: offered.name, plan });
  }
  for (const service of services) {
    (service.tall.bind ?? []).forEach((instance, index) => {
      if (!names.includes(instance)) {
        error(['services', service.name, 'x-tall', 'bind', index], `service "${service.name}": x-tall.bind names "${instance}", which the top-level x-tall.services does not declare (${names.length ? `declared: ${names.join(', ')}` : 'it declares none'})`);
      }
    });
  }
  return result;
}

/** The raw text at a path before interpolation, when it was a string (for messages: `from "${REPLICAS}"`). */
function writtenAs(yaml: LocatedYaml, path: (string | number)[]): string | undefined {
  let node: unknown = yaml.value;
  for (const segment of path) node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[segment] : undefined;
  return typeof node === 'string' ? node : undefined;
}

/** Errors and warnings, located through the YAML file, in file order. */
class Findings {
  private readonly errors: ComposeError[] = [];
  private readonly warnings: Warning[] = [];
  private readonly warned = new Set<string>();

  constructor(private readonly yaml: LocatedYaml) {}

  error(path: readonly (string | number)[], message: string): void {
    const position = this.yaml.locate(path);
    this.errors.push(new ComposeError(this.yaml.file, message, position?.line, position?.column));
  }

  warn(path: readonly (string | number)[], message: string): void {
    this.warnAt(this.yaml.locate(path), message);
  }

  warnAt(position: { line: number; column: number } | undefined, message: string): void {
    this.warnings.push({ file: this.yaml.file, line: position?.line, column: position?.column, message });
  }

  /** Compose says once per variable that it is not set, not once per use. */
  warnOnce(key: string, path: readonly (string | number)[], message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(path, message);
  }

  sortedWarnings(): Warning[] {
    return this.warnings.map((warning, index) => ({ warning, index }))
      .sort((a, b) => (a.warning.line ?? 0) - (b.warning.line ?? 0) || (a.warning.column ?? 0) - (b.warning.column ?? 0) || a.index - b.index)
      .map(({ warning }) => warning);
  }

  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const first = collected(this.errors);
    first.warnings = this.sortedWarnings();
    throw first;
  }
}
