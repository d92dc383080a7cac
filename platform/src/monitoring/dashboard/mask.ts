/**
 * What the dashboard may show of data services and their bindings: names, hosts, ports — never a password, token or
 * key. Values under a credential-like key are replaced; a URL's password and credential-like query parameters too.
 */

export const MASK = '••••••';

const SECRET_KEY = /pass(word|wd)?|secret|token|api[-_]?key|private|credential|auth|cert|salt|^key$|_key$|-key$/i;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]*)@/gi;
const SECRET_PARAM = /([?&;](?:[^=&;\s]*(?:pass(?:word|wd)?|secret|token|key|auth|sig|signature)[^=&;\s]*)=)[^&;\s#]*/gi;

export function maskText(text: string): string {
  return text.replace(URL_USERINFO, `$1:${MASK}@`).replace(SECRET_PARAM, `$1${MASK}`);
}

/** A copy of `value` safe to show: secrets under credential-like keys replaced, secrets inside strings masked. */
export function masked(value: unknown, depth = 0): unknown {
  if (depth > 12) return MASK;
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map((item) => masked(item, depth + 1));
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // A secret-named object (a binding's "credentials") is gone through field by field: its host and port may show.
      const scalar = typeof item === 'string' || typeof item === 'number' || typeof item === 'bigint';
      copy[key] = SECRET_KEY.test(key) && scalar && item !== '' ? MASK : masked(item, depth + 1);
    }
    return copy;
  }
  return value;
}
