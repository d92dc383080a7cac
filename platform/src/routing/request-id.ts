import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Ids a caller may choose: short and plain (they go into logs and headers). */
const ACCEPTABLE = /^[\w.:-]{1,128}$/;

/**
 * The id that follows one request through every service: the caller's own `x-request-id` when it sent a usable one
 * (as gorouter and Envoy keep it), else a new one. The router passes it on upstream and answers with it.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const text = Array.isArray(given) ? given[0] : given;
  return text && ACCEPTABLE.test(text) ? text : randomUUID();
}
