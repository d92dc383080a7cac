/**
 * Compose variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR, and $$ for a literal $.
 * Hand-written: no maintained npm package implements Compose's exact rules, and they fit in one regular expression.
 */
const PATTERN = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export class InterpolationError extends Error {}

export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(PATTERN, (_match, dollar, braced, operator, argument, bare) => {
    if (dollar) return '$';
    const name: string = braced ?? bare;
    const current = env[name];
    const isSet = current !== undefined;
    const isSetAndNotEmpty = isSet && current !== '';
    switch (operator) {
      case ':-':
        return isSetAndNotEmpty ? current : interpolate(argument ?? '', env);
      case '-':
        return isSet ? current : interpolate(argument ?? '', env);
      case ':?':
        if (!isSetAndNotEmpty) throw new InterpolationError(`required variable ${name} is missing a value: ${argument || 'set it'}`);
        return current;
      case '?':
        if (!isSet) throw new InterpolationError(`required variable ${name} is missing a value: ${argument || 'set it'}`);
        return current;
      case ':+':
        return isSetAndNotEmpty ? interpolate(argument ?? '', env) : '';
      case '+':
        return isSet ? interpolate(argument ?? '', env) : '';
      default:
        return current ?? '';
    }
  });
}

/** Interpolates every string inside a plain YAML value (keys are left alone, as Compose does). */
export function interpolateDeep(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, env)]));
  }
  return value;
}
