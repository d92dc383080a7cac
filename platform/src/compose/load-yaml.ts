import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { ComposeError } from './errors.js';

/** A parsed YAML file that can still say on which line any value was written. */
export interface LocatedYaml {
  file: string;
  value: Record<string, unknown>;
  lineOf(path: (string | number)[]): number | undefined;
}

export function loadYaml(file: string, displayName = file): LocatedYaml {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ComposeError(displayName, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? error}); check the path`);
  }
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { merge: true, lineCounter, prettyErrors: true, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const position = firstError.linePos?.[0];
    throw new ComposeError(displayName, firstError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), position?.line, position?.col);
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ComposeError(displayName, 'expected a mapping with a top-level "services:" key', 1, 1);
  }
  return {
    file: displayName,
    value: value as Record<string, unknown>,
    lineOf(path) {
      // Values that came in through a merge key (<<: *anchor) are not reachable by path; fall back to the nearest parent.
      for (let depth = path.length; depth > 0; depth--) {
        const node = doc.getIn(path.slice(0, depth), true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}
