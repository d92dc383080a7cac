import type { IncomingMessage } from 'node:http';
import { REQUEST_ID_HEADER } from './request-id.js';

/** RFC 9110 §7.6.1 hop-by-hop headers (plus `expect`, which undici refuses): they describe one connection, not the request. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'http2-settings']);
/** Set by the router itself, whatever the caller sent (x-forwarded-prefix only when the router strips a prefix). */
const SET_HERE = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', REQUEST_ID_HEADER]);

/** Headers a Connection header names are hop-by-hop too; usually there are none, and then nothing is allocated. */
function namedByConnection(value: string | string[] | undefined): Set<string> | undefined {
  if (!value) return undefined;
  const names = String(value).toLowerCase().split(',').map((name) => name.trim()).filter((name) => name && name !== 'keep-alive' && name !== 'close');
  return names.length > 0 ? new Set(names) : undefined;
}

/**
 * The headers sent upstream, as the flat [name, value, …] list undici takes, made in one pass (a request per
 * millisecond or more goes through here): the caller's headers without hop-by-hop ones, then x-forwarded-for (the
 * caller's chain plus the caller), x-forwarded-host, x-forwarded-proto, x-forwarded-prefix (the route prefix stripped)
 * and the request id.
 */
export function requestHeadersFor(req: IncomingMessage, prefix: string, requestId: string): string[] {
  const headers = req.headers;
  const named = namedByConnection(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || SET_HERE.has(name) || named?.has(name) || (prefix && name === 'x-forwarded-prefix')) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const each of value) out.push(name, each); // set-cookie, the one header Node keeps as a list
  }
  const client = req.socket.remoteAddress ?? '';
  const chain = headers['x-forwarded-for'];
  out.push('x-forwarded-for', chain ? `${String(chain)}, ${client}` : client, 'x-forwarded-host', headers.host ?? '', 'x-forwarded-proto', 'http');
  if (prefix) out.push('x-forwarded-prefix', prefix);
  out.push(REQUEST_ID_HEADER, requestId);
  return out;
}

/** An instance's answer headers as sent back to the caller: without hop-by-hop ones, plus who answered (x-instance). */
export function responseHeadersFor(headers: Record<string, string | string[] | undefined>, instance: string): Record<string, string | string[]> {
  const named = namedByConnection(headers.connection);
  const kept: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    kept[name] = value;
  }
  kept['x-instance'] = instance;
  return kept;
}
