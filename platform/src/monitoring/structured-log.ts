/**
 * Service log lines written as JSON objects (pino's shape: level, time, msg, plus fields), and the request ids they
 * carry. A line that is not such an object is plain text and stays as it is.
 */

export type LogRecord = Record<string, unknown> & { level: unknown };

/** The JSON object a line holds when it is a structured log record (it has a `level`), else undefined. */
export function structuredRecord(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) && 'level' in value ? (value as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The request ids a record names: `reqId` (pino-http's customAttributeKeys), `requestId`, `req.id` (pino-http's own), or
 * the `x-request-id` header of a logged request.
 */
export function requestIdsOf(record: Record<string, unknown>): string[] {
  const ids: unknown[] = [record.reqId, record.requestId];
  const req = record.req;
  if (req && typeof req === 'object') {
    const request = req as { id?: unknown; headers?: Record<string, unknown> };
    ids.push(request.id, request.headers?.['x-request-id']);
  }
  return ids.filter((id): id is string | number => typeof id === 'string' || typeof id === 'number').map(String);
}

/** Characters an id is made of (request-id.ts accepts these): an id in text must not be part of a longer one. */
const ID_CHAR = /[\w.:-]/;

const isIdChar = (char: string | undefined) => char !== undefined && ID_CHAR.test(char);

/**
 * Whether `text` contains `id` as a whole word, not inside a longer id ("order-47" is not in "order-4711"); a full stop
 * or colon right after it ends a sentence or a label, not the id.
 */
export function mentionsId(text: string, id: string): boolean {
  for (let at = text.indexOf(id); at !== -1; at = text.indexOf(id, at + 1)) {
    const end = at + id.length;
    const after = text[end];
    const endsHere = !isIdChar(after) || ((after === '.' || after === ':') && !isIdChar(text[end + 1]));
    if (!isIdChar(text[at - 1]) && endsHere) return true;
  }
  return false;
}

/** Whether a service's log line belongs to request `id`: a JSON field naming it, or the id in the text. */
export function lineCarriesRequestId(line: string, id: string): boolean {
  const record = structuredRecord(line);
  if (record && requestIdsOf(record).includes(id)) return true;
  return mentionsId(line, id);
}
