/**
 * Compose variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt},
 * ${VAR+alt}, $VAR, and $$ for a literal $. Defaults may nest (${A:-${B:-c}}), to any depth.
 *
 * Hand-written: no npm package implements Compose's rules (nesting, which `$` forms are errors and which stay literal).
 * It follows compose-go: a `${` is closed by the `}` that balances the `${` openers inside it (a lone `{` does not count);
 * `$` followed by anything but `$`, `{` or a name stays as written; `${` with no closing `}` or with something other than
 * a name and an operator inside is an error.
 */
export class InterpolationError extends Error {}

type Env = Record<string, string | undefined>;
/** Told about each variable used without a default that is not set (Compose warns, and substitutes ""). */
type OnUnset = (name: string) => void;

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const BRACED = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/;

export function interpolate(value: string, env: Env, onUnset: OnUnset = () => undefined): string {
  if (!value.includes('$')) return value;
  let result = '';
  let index = 0;
  while (index < value.length) {
    const dollar = value.indexOf('$', index);
    if (dollar === -1) {
      result += value.slice(index);
      break;
    }
    result += value.slice(index, dollar);
    const next = value[dollar + 1];
    if (next === '$') {
      result += '$';
      index = dollar + 2;
    } else if (next === '{') {
      const close = closingBrace(value, dollar);
      if (close === -1) throw new InterpolationError(`"${value.slice(dollar)}" has no closing "}"; write $$ for a literal $`);
      result += substitute(value.slice(dollar + 2, close), env, onUnset);
      index = close + 1;
    } else {
      NAME.lastIndex = dollar + 1;
      const name = NAME.exec(value)?.[0];
      if (name) {
        result += lookup(name, env, onUnset);
        index = dollar + 1 + name.length;
      } else {
        result += '$';
        index = dollar + 1;
      }
    }
  }
  return result;
}

/** The index of the `}` that closes the `${` at `start`, or -1. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let index = start; index < text.length; index++) {
    if (text[index] === '$' && text[index + 1] === '{') {
      depth++;
      index++;
    } else if (text[index] === '}' && --depth === 0) {
      return index;
    }
  }
  return -1;
}

function substitute(body: string, env: Env, onUnset: OnUnset): string {
  const match = BRACED.exec(body);
  if (!match) {
    throw new InterpolationError(`invalid interpolation "\${${body}}": use \${NAME}, \${NAME:-default}, \${NAME:?message} or \${NAME:+alternative}, and $$ for a literal $`);
  }
  const [, name, operator, argument = ''] = match as unknown as [string, string, string | undefined, string | undefined];
  const current = env[name];
  const isSet = current !== undefined;
  const isSetAndNotEmpty = isSet && current !== '';
  switch (operator) {
    case ':-':
      return isSetAndNotEmpty ? current : interpolate(argument, env, onUnset);
    case '-':
      return isSet ? current : interpolate(argument, env, onUnset);
    case ':?':
      if (!isSetAndNotEmpty) throw new InterpolationError(`required variable ${name} is missing a value: ${argument || 'set it'}`);
      return current;
    case '?':
      if (!isSet) throw new InterpolationError(`required variable ${name} is missing a value: ${argument || 'set it'}`);
      return current;
    case ':+':
      return isSetAndNotEmpty ? interpolate(argument, env, onUnset) : '';
    case '+':
      return isSet ? interpolate(argument, env, onUnset) : '';
    default:
      return lookup(name, env, onUnset);
  }
}

function lookup(name: string, env: Env, onUnset: OnUnset): string {
  const current = env[name];
  if (current === undefined) onUnset(name);
  return current ?? '';
}

export interface InterpolationReport {
  error(path: (string | number)[], message: string): void;
  unset(path: (string | number)[], name: string): void;
}

/**
 * Interpolates every string inside a plain YAML value (keys are left alone, as Compose does). Returns a copy: aliased
 * values shared in the input are copied, which is why the YAML walk bounds what aliases may expand to.
 * Errors are reported with their path and the value becomes "", so every error in the file is found in one pass.
 */
export function interpolateDeep(value: unknown, env: Env, report: InterpolationReport, path: (string | number)[] = []): unknown {
  if (typeof value === 'string') {
    try {
      return interpolate(value, env, (name) => report.unset([...path], name));
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      report.error([...path], error.message);
      return '';
    }
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      path.push(index);
      const result = interpolateDeep(item, env, report, path);
      path.pop();
      return result;
    });
  }
  if (value && typeof value === 'object' && isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => {
      path.push(key);
      const result = interpolateDeep(item, env, report, path);
      path.pop();
      return [key, result];
    }));
  }
  return value;
}

/** Mappings only: a YAML value such as !!binary (a Uint8Array) stays what it is, for the type check to name. */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
