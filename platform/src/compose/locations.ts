import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';

export type Path = readonly (string | number)[];
export interface Position {
  line: number;
  column: number;
}

/** A problem found while walking the YAML tree, at a character offset in the file. */
export interface TreeProblem {
  offset: number;
  message: string;
}

/**
 * Aliases may add at most this many values to the file. Ordinary files stay far below it (the 5 MB benchmark file with
 * thousands of merges adds about 50,000); an alias bomb ("billion laughs") or a big anchor aliased hundreds of times goes
 * far above it, and would cost minutes and gigabytes later (interpolation copies every aliased value).
 */
export const MAX_ALIASED_VALUES = 500_000;

/**
 * Compose files nest a handful of levels. Deeper values (which aliases can stack up further) would overflow the stack of
 * every later step that walks the value, so they are refused here, where the depth is known.
 */
export const MAX_DEPTH = 64;

/** Thrown at once when the value is too big or too deep to walk further. */
export class TooLargeError extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

function aliasBomb(offset: number, source: string): TooLargeError {
  return new TooLargeError(
    offset,
    `YAML aliases (here *${source}) expand this file to more than ${MAX_ALIASED_VALUES.toLocaleString('en-US')} values, so it is refused: ` +
      'that is how an alias bomb ("billion laughs") exhausts memory. A compose file needs far fewer; write repeated parts out, or alias smaller blocks',
  );
}

function tooDeep(offset: number): TooLargeError {
  return new TooLargeError(offset, `values here are nested more than ${MAX_DEPTH} levels deep (counting what aliases bring in); a compose file needs a handful — flatten it`);
}

/** Where each part of a plain value was written: per mapping, the offset of each key; per list, of each item. */
export class Locations {
  private readonly offsets = new WeakMap<object, Map<string, number> | number[]>();
  /** the plain value the offsets describe */
  root: unknown = undefined;

  constructor(private readonly lineCounter: LineCounter) {}

  record(container: object, table: Map<string, number> | number[]): void {
    this.offsets.set(container, table);
  }

  tableOf(container: object): Map<string, number> | number[] | undefined {
    return this.offsets.get(container);
  }

  /** The position of the deepest part of `path` that was written in the file (a parent, when the path goes further). */
  of(path: Path): Position | undefined {
    let node = this.root;
    let offset: number | undefined;
    for (const segment of path) {
      if (!node || typeof node !== 'object') break;
      const table = this.offsets.get(node);
      const found = Array.isArray(table) ? table[Number(segment)] : table?.get(String(segment));
      if (found === undefined) break;
      offset = found;
      node = (node as Record<string, unknown>)[segment];
    }
    return offset === undefined ? undefined : this.position(offset);
  }

  position(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }
}

interface Built {
  value: unknown;
  /** how many values this node stands for once every alias in it is expanded */
  size: number;
  /** how deep it nests, aliases expanded */
  depth: number;
  /** an alias whose anchor is missing (already reported) */
  missing?: boolean;
}

/**
 * Turns the parsed YAML tree into a plain value in ONE walk that also records where everything was written, finds keys
 * written twice (yaml's own uniqueKeys check is quadratic per mapping, and off), resolves aliases and merge keys with
 * located errors, and counts what aliases expand to. Aliased values are shared, not copied, so the walk costs what the
 * file is long, whatever the aliases expand to.
 */
export function buildValue(contents: Node | null, locations: Locations): { value: unknown; problems: TreeProblem[] } {
  const problems: TreeProblem[] = [];
  const anchors = new Map<string, Built>();
  const unfinished = new Set<string>();
  let aliasedValues = 0;

  const offsetOf = (node: Node | null | undefined, fallback: number) => node?.range?.[0] ?? fallback;

  function build(node: Node | null | undefined, at: number): Built {
    if (node === null || node === undefined) return { value: null, size: 1, depth: 1 };
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) {
        problems.push({
          offset: offsetOf(node, at),
          message: unfinished.has(node.source)
            ? `alias *${node.source} is used inside the block its anchor "&${node.source}" names; a compose file cannot refer to itself`
            : `alias *${node.source} refers to an anchor "&${node.source}" that is not defined before it; anchors must be defined earlier in the same file (e.g. under an "x-" key at the top), and are not shared between files`,
        });
        return { value: null, size: 1, depth: 1, missing: true };
      }
      aliasedValues += target.size;
      if (aliasedValues > MAX_ALIASED_VALUES) throw aliasBomb(offsetOf(node, at), node.source);
      return target;
    }
    const anchor = node.anchor;
    if (anchor) unfinished.add(anchor);
    let built: Built;
    if (isScalar(node)) {
      built = { value: node.value, size: 1, depth: 1 };
    } else if (isSeq(node)) {
      const items: unknown[] = [];
      const offsets: number[] = [];
      let size = 1;
      let depth = 1;
      for (const item of node.items as (Node | null)[]) {
        const child = build(item, offsetOf(node, at));
        items.push(child.value);
        offsets.push(offsetOf(item, offsetOf(node, at)));
        size += child.size;
        depth = Math.max(depth, child.depth + 1);
      }
      locations.record(items, offsets);
      built = { value: items, size, depth };
    } else if (isMap(node)) {
      built = buildMap(node, offsetOf(node, at));
    } else {
      built = { value: null, size: 1, depth: 1 };
    }
    if (built.depth > MAX_DEPTH) throw tooDeep(offsetOf(node, at));
    if (anchor) {
      unfinished.delete(anchor);
      anchors.set(anchor, built);
    }
    return built;
  }

  function buildMap(map: YAMLMap, at: number): Built {
    const value: Record<string, unknown> = {};
    const offsets = new Map<string, number>();
    const written = new Map<string, number>();
    let size = 1;
    let depth = 1;
    for (const pair of map.items as Pair<Node | null, Node | null>[]) {
      const keyOffset = offsetOf(pair.key, at);
      if (isMergeKey(pair.key)) {
        const merged = merge(value, offsets, pair.value, keyOffset);
        size += merged.size;
        depth = Math.max(depth, merged.depth);
        continue;
      }
      const key = keyText(pair.key, keyOffset);
      if (key === undefined) continue;
      const first = written.get(key);
      if (first !== undefined) {
        problems.push({ offset: keyOffset, message: `"${key}" is written twice in this mapping (first on line ${locations.position(first).line}); keep one` });
        continue;
      }
      written.set(key, keyOffset);
      const child = build(pair.value, keyOffset);
      setOwn(value, key, child.value);
      offsets.set(key, keyOffset);
      size += child.size;
      depth = Math.max(depth, child.depth + 1);
    }
    locations.record(value, offsets);
    return { value, size, depth };
  }

  /** `<<: *a` or `<<: [*a, *b]`: keys written in the mapping win over merged ones, and earlier sources over later ones. */
  function merge(target: Record<string, unknown>, offsets: Map<string, number>, source: Node | null, at: number): { size: number; depth: number } {
    const sources = isSeq(source) ? (source.items as (Node | null)[]) : [source];
    let size = 0;
    let depth = 1;
    for (const item of sources) {
      const itemOffset = offsetOf(item, at);
      const built = build(item, itemOffset);
      if (built.missing) continue;
      if (!built.value || typeof built.value !== 'object' || Array.isArray(built.value)) {
        problems.push({
          offset: itemOffset,
          message: `"<<" merges ${describeKind(built.value)} into this mapping; a merge key takes a mapping (<<: *name, where &name is a mapping) or a list of them (<<: [*a, *b])`,
        });
        continue;
      }
      const table = locations.tableOf(built.value);
      for (const [key, value] of Object.entries(built.value)) {
        if (Object.prototype.hasOwnProperty.call(target, key)) continue;
        setOwn(target, key, value);
        const offset = table instanceof Map ? table.get(key) : undefined;
        if (offset !== undefined) offsets.set(key, offset);
      }
      size += built.size;
      depth = Math.max(depth, built.depth);
    }
    return { size, depth };
  }

  function keyText(key: Node | null, offset: number): string | undefined {
    const resolved = isAlias(key) ? anchors.get(key.source) : undefined;
    if (resolved && (resolved.value === null || typeof resolved.value !== 'object')) return String(resolved.value ?? '');
    if (key === null || (isScalar(key) && key.value === null)) return '';
    if (isScalar(key) && typeof key.value !== 'object') return String(key.value);
    problems.push({ offset, message: 'a key here is not plain text (a list, a mapping or an alias); compose keys are names such as "image"' });
    return undefined;
  }

  const value = build(contents, 0).value;
  locations.root = value;
  return { value, problems };
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
}

/** `__proto__` written as a key must stay a key, not become the object's prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

export function describeKind(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (ArrayBuffer.isView(value)) return 'binary data (!!binary)';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return `${value}`;
  return typeof value;
}
