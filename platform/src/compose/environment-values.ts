/** Environment variables (and labels, build args) as Compose writes them: a mapping, or a list of NAME=value. */

/** As in Compose, a variable named without a value is taken from the shell, and left out if the shell has none. */
export function parseEnvironment(raw: unknown, shellEnv: Record<string, string | undefined>): Record<string, string> {
  if (!raw) return {};
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map((item: string) => {
        const equals = item.indexOf('=');
        return equals === -1 ? [item, null] : [item.slice(0, equals), item.slice(equals + 1)];
      })
    : Object.entries(raw as Record<string, unknown>);
  const result: Record<string, string> = {};
  for (const [key, value] of entries) {
    const resolved = value === null || value === undefined ? shellEnv[key] : String(value);
    if (resolved !== undefined) assignOwn(result, { [key]: resolved });
  }
  return result;
}

/** Object.assign, except that a variable named __proto__ stays a variable instead of replacing the prototype. */
export function assignOwn(target: Record<string, string>, source: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined) Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  }
}
