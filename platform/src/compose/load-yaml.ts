import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ComposeError } from './errors.js';
import { buildValue, Locations, TooLargeError, type Path, type Position } from './locations.js';

/** Compose files are a few KB; anything this big is the wrong file or an attack, and would take long to refuse later. */
export const MAX_COMPOSE_BYTES = 10 * 1024 * 1024;

/** A parsed YAML file that can still say where any value was written. */
export interface LocatedYaml {
  file: string;
  value: Record<string, unknown>;
  locate(path: Path): Position | undefined;
  /** yaml's own warnings (e.g. an unknown tag), located */
  warnings: { position: Position; message: string }[];
}

export function loadYaml(file: string, displayName = file): LocatedYaml {
  let text: string;
  try {
    const { size } = statSync(file);
    if (size > MAX_COMPOSE_BYTES) {
      throw new ComposeError(displayName, `the file is ${(size / 1024 / 1024).toFixed(1)} MB; the kit reads compose files of at most ${MAX_COMPOSE_BYTES / 1024 / 1024} MB — check it is the right file, or split it`);
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ComposeError) throw error;
    throw new ComposeError(displayName, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? error}); check the path`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, lineCounter, prettyErrors: true, uniqueKeys: false });
  const locations = new Locations(lineCounter);
  const at = (offset: number, message: string) => {
    const { line, column } = locations.position(offset);
    return new ComposeError(displayName, message, line, column);
  };
  if (doc.errors.length > 0) {
    throw collected(doc.errors.map((error) => at(error.pos[0], error.code === 'MULTIPLE_DOCS'
      ? 'the file holds more than one YAML document (a "---" line); a compose file is one document'
      : /Maximum call stack/.test(error.message)
        ? 'the YAML here is nested too deeply to read; a compose file needs a handful of levels'
        : firstLine(error.message))));
  }
  let value: unknown;
  try {
    const built = buildValue(doc.contents, locations);
    if (built.problems.length > 0) throw collected(built.problems.map((problem) => at(problem.offset, problem.message)));
    value = built.value;
  } catch (error) {
    if (error instanceof TooLargeError) throw at(error.offset, error.message);
    throw error;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ComposeError(displayName, 'expected a mapping with a top-level "services:" key', 1, 1);
  }
  return {
    file: displayName,
    value: value as Record<string, unknown>,
    locate: (path) => locations.of(path),
    warnings: doc.warnings.map((warning) => ({ position: locations.position(warning.pos[0]), message: `${firstLine(warning.message)}; the value is read as plain YAML` })),
  };
}

/** yaml's message without the position it appends (the ComposeError has it) and the source excerpt below. */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** The first of several errors, carrying them all. */
export function collected(errors: ComposeError[]): ComposeError {
  const sorted = [...errors].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const first = sorted[0]!;
  first.problems = sorted;
  return first;
}
