import type { IncomingMessage } from 'node:http';

/** RFC 9110 idempotent methods: repeating them has the same effect as sending them once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** How many instances one request may try, in all (the first try plus one retry or hedge). */
export const MAX_ATTEMPTS = 2;

/** Bodies up to this size are kept so an idempotent request can be replayed on another instance. */
export const REPLAYABLE_BODY_LIMIT = 1024 * 1024;

export function isIdempotent(method: string | undefined): boolean {
  return IDEMPOTENT.has((method ?? 'GET').toUpperCase());
}

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * What went wrong between the router and an instance, when the instance itself gave no answer:
 *  connect          refused, or no connection within the connect timeout: the request never reached it
 *  reset            the connection closed before the answer's headers (the instance died or dropped it)
 *  headers-timeout  connected, but no answer within the headers timeout (a hung handler, a frozen process)
 *  idle-timeout     the answer's body stopped flowing for longer than the idle timeout
 *  other            anything else (a malformed answer, a local error)
 */
export type GatewayFailure = 'connect' | 'reset' | 'headers-timeout' | 'idle-timeout' | 'other';

export function classifyFailure(error: NodeJS.ErrnoException): GatewayFailure {
  switch (error.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect';
    // UND_ERR_SOCKET: undici's "other side closed".
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'UND_ERR_SOCKET':
      return 'reset';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'headers-timeout';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'idle-timeout';
    default:
      return 'other';
  }
}

/**
 * Whether a failed try may be repeated on another instance: only for idempotent requests, and only when no answer came
 * at all. A POST is never repeated by the router: it may have taken effect (lab 07 teaches idempotency keys for that).
 */
export function mayTryElsewhere(failure: GatewayFailure, idempotent: boolean): boolean {
  return idempotent && (failure === 'connect' || failure === 'reset' || failure === 'headers-timeout');
}
