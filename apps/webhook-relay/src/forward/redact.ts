// What the relay may show of a target or of a receiver's answer: a receiver URL's path embeds Kargo's receiver hash
// (derived from its secret, so it is a credential), and a receiver's body may echo URLs or tokens.

/** Longest error text kept or shown (our own message, the status code and an excerpt of what the receiver said). */
export const ERROR_EXCERPT_CHARS = 240;
/** Of a receiver's body, at most this much (after masking) goes into an error. */
export const BODY_EXCERPT_CHARS = 200;

const MASK = '[redacted]';
const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>\\]+/gi;
const AUTH_SCHEME = /\b(bearer|basic|token)(\s+)[^\s"',;}]+/gi;
const SECRET_FIELD = /\b((?:[a-z0-9_-]*(?:secret|token|password|passwd|api[_-]?key|authorization|signature|credential)[a-z0-9_-]*)["']?\s*[:=]\s*["']?)(?!\[redacted\])[^\s"'&,;}]+/gi;
/** Long unbroken runs (hashes, keys, JWTs, base64): nothing a human reads in an error is like that. */
const TOKEN_LIKE = /[A-Za-z0-9_\-+/=.~%]{24,}/g;

/** `scheme://host/…`: no user info, path, query or fragment. */
function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return MASK;
  }
}

/**
 * A bounded excerpt safe to store, log and show: URLs cut to scheme and host, credentials after `Bearer`/`token` or
 * in `secret=`/`"token":` style fields masked, long token-like runs masked, then cut to `max` characters.
 */
export function redactText(text: string, max = ERROR_EXCERPT_CHARS): string {
  const masked = text
    .replace(URL_LIKE, redactUrl)
    .replace(AUTH_SCHEME, `$1$2${MASK}`)
    .replace(SECRET_FIELD, `$1${MASK}`)
    .replace(TOKEN_LIKE, (run) => (run.startsWith('//') || run === MASK ? run : MASK));
  return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
}

/**
 * A target key as admins see it: `kargoWebhook:scheme://host/github/…abcd` for a receiver URL (its last path
 * segment, Kargo's hash, reduced to its last 4 characters), `kargoWebhook:scheme://host/base#project/receiver` for
 * one computed from its inputs (no secret in it), kubernetes and log keys unchanged.
 */
export function redactTargetKey(key: string): string {
  const prefix = 'kargoWebhook:';
  if (!key.startsWith(prefix)) return key;
  const rest = key.slice(prefix.length);
  const hash = rest.indexOf('#');
  try {
    if (hash >= 0) {
      const base = new URL(rest.slice(0, hash));
      return `${prefix}${base.protocol}//${base.host}${base.pathname.replace(/\/+$/, '')}#${rest.slice(hash + 1)}`;
    }
    const url = new URL(rest);
    const segments = url.pathname.split('/').filter((s) => s !== '');
    const last = segments.pop();
    const path = last === undefined ? '' : `/${[...segments.map((s) => (s.length > 32 ? '…' : s)), `…${last.slice(-4)}`].join('/')}`;
    return `${prefix}${url.protocol}//${url.host}${path}`;
  } catch {
    return `${prefix}${MASK}`;
  }
}
