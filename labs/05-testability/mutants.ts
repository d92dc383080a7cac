// Lab 05's deliberate bugs ("mutants"): small breaks of the SQL in catalog/src/product-store.ts, each one a bug a real
// change could bring. A test suite worth having fails on every one of them. They look for the SQL in the file's string
// literals (quotes, and the text parts of template literals), not for one exact spelling of a query.

/** A piece of string text in the source: [start, end) of its content, without the quotes. */
export interface Literal {
  start: number;
  end: number;
  text: string;
  /** the literal is complete here: a quoted string, or the last text part of a template literal */
  last: boolean;
}

export interface Mutant {
  name: string;
  /** what the bug does, for the learner: "get(id) returns a product whose id is not the one asked for" */
  bug: string;
  /** the change, as SQL: "WHERE id = $1 → WHERE id <> $1" */
  change: string;
  source: string;
}

export interface MutationPlan {
  mutants: Mutant[];
  /** mutations that found nothing to change, with why */
  notApplied: string[];
  /** the string literals that look like SQL, for messages */
  sql: string[];
}

/** Every string literal and template-literal text part, outside comments. Regular-expression literals are not told from division: rare in a store. */
export function stringLiterals(source: string): Literal[] {
  const found: Literal[] = [];
  let i = 0;
  // Reads code until the `}` closing a template interpolation (depth 0) or the end of the file.
  const code = (inTemplate: boolean): void => {
    let depth = 0;
    while (i < source.length) {
      const c = source[i]!;
      const next = source[i + 1];
      if (c === '/' && next === '/') {
        const end = source.indexOf('\n', i);
        i = end < 0 ? source.length : end + 1;
      } else if (c === '/' && next === '*') {
        const end = source.indexOf('*/', i + 2);
        i = end < 0 ? source.length : end + 2;
      } else if (c === "'" || c === '"') {
        const start = i + 1;
        i = start;
        while (i < source.length && source[i] !== c && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
        found.push({ start, end: i, text: source.slice(start, i), last: true });
        i++;
      } else if (c === '`') {
        i++;
        template();
      } else if (c === '{') {
        depth++;
        i++;
      } else if (c === '}') {
        if (inTemplate && depth === 0) return;
        depth--;
        i++;
      } else {
        i++;
      }
    }
  };
  const template = (): void => {
    let start = i;
    while (i < source.length) {
      const c = source[i]!;
      if (c === '\\') {
        i += 2;
      } else if (c === '`') {
        found.push({ start, end: i, text: source.slice(start, i), last: true });
        i++;
        return;
      } else if (c === '$' && source[i + 1] === '{') {
        found.push({ start, end: i, text: source.slice(start, i), last: false });
        i += 2;
        code(true);
        i++; // the closing }
        start = i;
      } else {
        i++;
      }
    }
  };
  code(false);
  return found;
}

const looksLikeSql = (text: string) => /\b(select|from|where|order\s+by)\b/i.test(text);

/** Replaces the literals' text by `change(text)` where it changes something; undefined when nothing changed. */
function rewrite(source: string, literals: Literal[], change: (literal: Literal) => string): string | undefined {
  let out = '';
  let at = 0;
  let changed = false;
  for (const literal of literals) {
    const text = change(literal);
    if (text === literal.text) continue;
    out += source.slice(at, literal.start) + text;
    at = literal.end;
    changed = true;
  }
  return changed ? out + source.slice(at) : undefined;
}

// `id = $1`, `products.id = $1`, `"id"=$1` — and the other way round, `$1 = id`.
const ID_EQUALS_PARAM = /((?:\b\w+\.)?"?\bid\b"?\s*)=(\s*\$\d+)/gi;
const PARAM_EQUALS_ID = /(\$\d+\s*)=(\s*(?:\b\w+\.)?"?\bid\b"?)/gi;
// `ORDER BY id`, `ORDER BY products.id ASC`, `order by "id"` — not when DESC is there already.
const ORDER_BY_ID = /(\border\s+by\s+(?:\w+\.)?"?\bid\b"?)(\s+asc\b)?(?!\s+desc\b)/gi;

/** A literal that is only a list of columns: "id, name, price_cents AS \"priceCents\", stock". */
const COLUMN_LIST = /^\s*[\w."]+(?:\s+as\s+[\w"]+)?(?:\s*,\s*[\w."]+(?:\s+as\s+[\w"]+)?)+\s*$/i;

/** price_cents ↔ stock in a select list, keeping each output column's name (or the alias already there). */
function swapColumns(list: string): string {
  // An alias ("AS name") is taken whole and kept; a column followed by an alias keeps it; one without gets its own name as alias.
  return list.replace(/\bas\s+"?\w+"?|("?)\b(price_cents|stock)\b\1(?=(\s+as\b)?)/gi, (all, quote: string | undefined, column: string | undefined, alias: string | undefined) => {
    if (column === undefined) return all;
    const q = quote ?? '';
    const other = column.toLowerCase() === 'stock' ? 'price_cents' : 'stock';
    return alias ? `${q}${other}${q}` : `${q}${other}${q} AS ${q}${column}${q}`;
  });
}

export function planMutants(source: string): MutationPlan {
  const literals = stringLiterals(source);
  const sql = literals.filter((literal) => looksLikeSql(literal.text));
  const mutants: Mutant[] = [];
  const notApplied: string[] = [];
  const add = (mutant: Omit<Mutant, 'source'>, mutated: string | undefined, why: string) => {
    if (mutated === undefined) notApplied.push(`${mutant.name} (${why})`);
    else mutants.push({ ...mutant, source: mutated });
  };

  add(
    { name: 'get-ignores-id', bug: 'get(id) returns a product whose id is NOT the one asked for', change: 'WHERE id = $1 → WHERE id <> $1' },
    rewrite(source, sql, ({ text }) => text.replace(ID_EQUALS_PARAM, '$1<>$2').replace(PARAM_EQUALS_ID, '$1<>$2')),
    'no query compares id with a parameter ($1)',
  );
  add(
    { name: 'list-reversed', bug: 'list() returns the products in reverse order', change: 'ORDER BY id → ORDER BY id DESC' },
    rewrite(source, sql, ({ text }) => text.replace(ORDER_BY_ID, '$1 DESC')),
    'no query says ORDER BY id',
  );
  // The list query: complete in this literal, no parameter, no LIMIT yet; the literal with its ORDER BY when there is one
  // (a shared 'SELECT … FROM products' constant is followed by more), else the one that reads FROM products.
  const open = sql.filter((literal) => literal.last && !/\$\d/.test(literal.text) && !/\blimit\b/i.test(literal.text));
  const ordered = open.filter((literal) => /\border\s+by\b/i.test(literal.text));
  const listQueries = new Set(ordered.length > 0 ? ordered : open.filter((literal) => /\bfrom\s+"?products"?\b/i.test(literal.text)));
  add(
    { name: 'list-first-only', bug: 'list() returns only its first product', change: '… LIMIT 1 at the end of the list query' },
    rewrite(source, sql, (literal) => (listQueries.has(literal) ? literal.text.replace(/\s*;?\s*$/, ' LIMIT 1') : literal.text)),
    'no query without parameters reads FROM products',
  );
  // In select lists: a constant of its own ('id, name, price_cents, stock') or what a query has between SELECT and FROM.
  add(
    { name: 'price-and-stock-swapped', bug: 'priceCents is read from the stock column and stock from price_cents', change: 'SELECT … price_cents, stock → SELECT … stock AS price_cents, price_cents AS stock' },
    rewrite(source, literals, ({ text }) => {
      if (COLUMN_LIST.test(text)) return swapColumns(text);
      return text.replace(/(\bselect\b)([\s\S]*?)(\bfrom\b)/gi, (_all, select: string, list: string, from: string) => select + swapColumns(list) + from);
    }),
    'no select list names the columns price_cents and stock (SELECT *?)',
  );
  return { mutants, notApplied, sql: sql.map((literal) => literal.text.trim()) };
}
