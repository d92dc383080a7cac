/**
 * The dashboard's last guard: a URL's password and credential-like query parameters masked in anything it shows that
 * could carry one (the broker masks its URLs already; this holds if a provider ever forgets).
 */

export const MASK = '••••••';

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]*)@/gi;
const SECRET_PARAM = /([?&;](?:[^=&;\s]*(?:pass(?:word|wd)?|secret|token|key|auth|sig|signature)[^=&;\s]*)=)[^&;\s#]*/gi;

export function maskText(text: string): string {
  return text.replace(URL_USERINFO, `$1:${MASK}@`).replace(SECRET_PARAM, `$1${MASK}`);
}
