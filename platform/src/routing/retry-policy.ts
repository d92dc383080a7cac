import type { IncomingMessage } from 'node:http';

/** RFC 9110 idempotent methods: repeating them has the same effect as sending them once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** How many instances one request may try, in all. */
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
 * A failure is retryable only if the instance never answered (connection refused or reset before response headers).
 * A timeout is not retried: the instance may still be doing the work.
 */
export function isRetryableError(error: NodeJS.ErrnoException): boolean {
  // UND_ERR_SOCKET: undici's "other side closed", i.e. the instance died before it answered.
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'].includes(error.code ?? '');
}
