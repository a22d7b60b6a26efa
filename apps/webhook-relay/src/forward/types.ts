// What a forwarder gets and returns; the worker turns results into inbox outcomes and backoff.

export interface ForwardJob {
  readonly deliveryId: string;
  /** `package` or `registry_package`. */
  readonly event: string;
  /** The JSON of the delivery (UTF-8), sent byte for byte. */
  readonly payload: Uint8Array;
  readonly image: string;
  readonly tag: string;
}

export type ForwardResult =
  | { readonly kind: 'done'; readonly status?: number }
  | { readonly kind: 'retry'; readonly error: string; readonly status?: number; readonly retryAfterMs?: number }
  | { readonly kind: 'failed'; readonly error: string; readonly status?: number };

/** 2xx done; 408, 429 and 5xx worth another try; any other status a permanent failure. */
export function resultForStatus(status: number, what: string, retryAfterMs?: number): ForwardResult {
  if (status >= 200 && status < 300) return { kind: 'done', status };
  if (status === 408 || status === 429 || status >= 500) {
    return { kind: 'retry', status, error: `${what} answered ${status}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { kind: 'failed', status, error: `${what} answered ${status}` };
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
