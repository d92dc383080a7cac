/** Commands (`command`, `x-tall.process.command`) as argv lists. */
type Fail = (path: (string | number)[], message: string) => never;

/** An empty command is no command, as in Compose. */
export function optionalArgv(words: string[]): string[] | undefined {
  return words.length > 0 ? words : undefined;
}

export function requiredArgv(words: string[], path: (string | number)[], fail: Fail): string[] {
  return words.length > 0 ? words : fail(path, `${path.join('.')} is empty; give the program and its arguments, e.g. ["node", "server.js"]`);
}

/**
 * A command as a list is taken as it is. As one string, Compose splits it like a shell would; the kit splits it at spaces
 * only, so a string with quotes or backslashes (which would come out wrong) must be written as a list.
 */
export function argv(raw: unknown, path: (string | number)[], fail: Fail): string[] {
  if (Array.isArray(raw)) return raw as string[];
  const text = String(raw).trim();
  if (/["'\\]/.test(text)) {
    fail(path, `${path.join('.')} has quotes or backslashes, which the kit does not interpret in a one-line command; write it as a list with one item per argument, e.g. ["node", "-e", "console.log('hi there')"]`);
  }
  return text.split(/\s+/).filter(Boolean);
}
