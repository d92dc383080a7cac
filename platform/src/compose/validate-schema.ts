import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import { composeSchema, type JsonSchema } from './compose-schema.js';
import { describeKind } from './locations.js';
import { subject, type FieldPath } from './field-path.js';

export interface SchemaProblem {
  path: (string | number)[];
  message: string;
}

/** Compiling the schema takes a noticeable fraction of a second: once per process. */
let compiled: { ajv: Ajv2019; validate: ValidateFunction; definitions: unknown } | undefined;
const branchValidators = new WeakMap<object, ValidateFunction>();

function validator() {
  if (!compiled) {
    const schema = composeSchema();
    // Durations are checked (with their place) when the kit reads them; the other formats are for fields the kit ignores.
    const ajv = new Ajv2019({ strict: false, allErrors: true, verbose: true, formats: { duration: true, expose: true, ports: true, subnet_ip_address: true } });
    compiled = { ajv, validate: ajv.compile(schema), definitions: schema.definitions };
  }
  return compiled;
}

/** Checks an interpolated compose document against the Compose specification's schema (plus x-tall): every problem, readable. */
export function validateSchema(document: unknown): SchemaProblem[] {
  const { validate } = validator();
  if (validate(document)) return [];
  return translate(outermost(validate.errors ?? []), document, []);
}

/**
 * ajv reports a failed oneOf after the errors of each of its branches, all at or below the oneOf's path. Only the oneOf
 * itself is kept; `translate` then either names the alternatives or, when the value's type picks one branch, explains
 * that branch's errors.
 */
function outermost(errors: ErrorObject[]): ErrorObject[] {
  const kept: ErrorObject[] = [];
  for (let index = errors.length - 1; index >= 0; index--) {
    const error = errors[index]!;
    kept.push(error);
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') {
      while (index > 0 && isAtOrBelow(errors[index - 1]!.instancePath, error.instancePath)) index--;
    }
  }
  return kept.reverse();
}

function translate(errors: ErrorObject[], root: unknown, prefix: FieldPath): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const error of errors) {
    const path = [...prefix, ...typedPath(root, error.instancePath)];
    const data = error.data;
    const got = gotText(data);
    switch (error.keyword) {
      case 'oneOf':
      case 'anyOf': {
        const branches = (error.schema as JsonSchema[]).map(resolve);
        const fitting = branches.filter((branch) => accepts(branch, data));
        if (fitting.length === 1) {
          const check = branchValidator(fitting[0]!);
          if (!check(data)) {
            problems.push(...translate(outermost(check.errors ?? []), data, path));
            break;
          }
        }
        problems.push({ path, message: `${subject(path)} must be ${alternatives(branches.map(describe))} (${got})` });
        break;
      }
      case 'type':
        problems.push({ path, message: `${subject(path)} must be ${describe(error.parentSchema as JsonSchema)} (${got})` });
        break;
      case 'enum':
      case 'const': {
        const allowed = error.keyword === 'enum' ? (error.params as { allowedValues: unknown[] }).allowedValues : [(error.params as { allowedValue: unknown }).allowedValue];
        problems.push({ path, message: `${subject(path)} must be ${allowed.length > 1 ? 'one of ' : ''}${allowed.map(String).join(', ')} (got ${JSON.stringify(data)})` });
        break;
      }
      case 'required': {
        const missing = (error.params as { missingProperty: string }).missingProperty;
        const property = ((error.parentSchema as JsonSchema).properties as Record<string, JsonSchema> | undefined)?.[missing];
        problems.push({ path, message: `${subject(path)} needs "${missing}"${property ? ` (${describe(resolve(property))})` : ''}` });
        break;
      }
      case 'uniqueItems': {
        const { i, j } = error.params as { i: number; j: number };
        problems.push({ path: [...path, Math.max(i, j)], message: `${subject(path)} has the same item twice ([${Math.min(i, j)}] and [${Math.max(i, j)}]); remove one` });
        break;
      }
      case 'pattern':
        problems.push({ path, message: `${subject(path)} ${((error.parentSchema as JsonSchema).description as string | undefined) ?? `must match ${(error.params as { pattern: string }).pattern}`} (got ${JSON.stringify(data)})` });
        break;
      default:
        problems.push({ path, message: `${subject(path)} ${error.message ?? 'is not valid'} (${got})` });
    }
  }
  return problems;
}

function branchValidator(branch: JsonSchema): ValidateFunction {
  let check = branchValidators.get(branch);
  if (!check) {
    const { ajv, definitions } = validator();
    check = ajv.compile({ ...branch, definitions });
    branchValidators.set(branch, check);
  }
  return check;
}

function resolve(schema: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/definitions/')) return schema;
  return ((validator().definitions as Record<string, JsonSchema>)[ref.slice('#/definitions/'.length)]) ?? schema;
}

/** Whether a value's JSON type fits a schema at the top (the part that tells oneOf branches apart). */
function accepts(schema: JsonSchema, value: unknown): boolean {
  if ('const' in schema) return schema.const === value;
  if (Array.isArray(schema.enum)) return schema.enum.includes(value);
  if (Array.isArray(schema.oneOf)) return (schema.oneOf as JsonSchema[]).some((branch) => accepts(resolve(branch), value));
  if (schema.type === undefined) return true;
  const types = ([] as unknown[]).concat(schema.type);
  const type = jsonType(value);
  return types.includes(type) || (type === 'integer' && types.includes('number'));
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** What a schema asks for, in words: "a string or a list of strings", "a duration such as 10s". */
function describe(schema: JsonSchema): string {
  schema = resolve(schema);
  if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) return alternatives(((schema.oneOf ?? schema.anyOf) as JsonSchema[]).map(describe));
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map(String).join(', ')}`;
  const types = ([] as string[]).concat((schema.type as string | string[] | undefined) ?? []);
  if (types.length === 0) return 'a value';
  return alternatives(types.map((type) => {
    if (type === 'string' && schema.format === 'duration') return 'a duration such as 10s or 1m30s';
    if (type === 'array') {
      const items = schema.items as JsonSchema | undefined;
      return items && resolve(items).type === 'string' ? 'a list of strings' : 'a list';
    }
    return TYPE_WORDS[type] ?? type;
  }));
}

const TYPE_WORDS: Record<string, string> = { string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false', null: 'empty', object: 'a mapping' };

function alternatives(words: string[]): string {
  const unique = [...new Set(words)];
  if (unique.length <= 2) return unique.join(' or ');
  return `${unique.slice(0, -1).join(', ')}, or ${unique.at(-1)}`;
}

function gotText(value: unknown): string {
  return value === null || value === undefined ? 'got nothing: give it a value, or remove the line' : `got ${describeKind(value)}`;
}

/** "/services/web/env_file/0" → ["services", "web", "env_file", 0]: numbers where the value there is a list. */
function typedPath(root: unknown, pointer: string): (string | number)[] {
  const path: (string | number)[] = [];
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(node) ? Number(segment) : segment;
    path.push(key);
    node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined;
  }
  return path;
}

function isAtOrBelow(pointer: string, parent: string): boolean {
  return pointer === parent || pointer.startsWith(`${parent}/`);
}
