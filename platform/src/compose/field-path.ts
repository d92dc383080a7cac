/** How messages name a place in a compose file: `service "web": healthcheck.test`, `env_file[0]`, `top-level "configs"`. */
export type FieldPath = readonly (string | number)[];

/** `healthcheck.test`, `env_file[0]`, `x-tall.process.command[1]` */
export function fieldName(path: FieldPath): string {
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}

/** What a message is about: `service "web": healthcheck.test`, `service "web"`, or a top-level field. */
export function subject(path: FieldPath): string {
  if (path[0] === 'services' && path.length >= 2) {
    const field = fieldName(path.slice(2));
    return `service "${path[1]}"${field ? `: ${field}` : ''}`;
  }
  return fieldName(path) || 'the file';
}

/** A path key for maps: paths with the same segments give the same key. */
export function pathKey(path: FieldPath): string {
  return path.join('\u0000');
}
