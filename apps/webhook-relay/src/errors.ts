// Typed errors of the relay: each has a stable `code` that logs, metrics and tests can switch on.

export const RelayErrorCode = {
  InvalidConfig: 'RELAY_INVALID_CONFIG',
  InvalidRoutes: 'RELAY_INVALID_ROUTES',
  MissingSignature: 'RELAY_MISSING_SIGNATURE',
  BadSignature: 'RELAY_BAD_SIGNATURE',
  BadPayload: 'RELAY_BAD_PAYLOAD',
  Overloaded: 'RELAY_OVERLOADED',
  Unauthorized: 'RELAY_UNAUTHORIZED',
  NotFound: 'RELAY_NOT_FOUND',
  BadRequest: 'RELAY_BAD_REQUEST',
  Inbox: 'RELAY_INBOX',
  PayloadUnreadable: 'RELAY_PAYLOAD_UNREADABLE',
} as const;
export type RelayErrorCode = (typeof RelayErrorCode)[keyof typeof RelayErrorCode];

export interface RelayErrorOptions {
  readonly cause?: unknown;
  readonly hint?: string;
  /** HTTP status when the error reaches the error handler. */
  readonly statusCode?: number;
  /** Seconds, sent as `Retry-After`. */
  readonly retryAfter?: number;
}

export class RelayError extends Error {
  readonly code: RelayErrorCode;
  readonly hint: string | undefined;
  readonly statusCode: number;
  readonly retryAfter: number | undefined;

  constructor(code: RelayErrorCode, message: string, options: RelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RelayError';
    this.code = code;
    this.hint = options.hint;
    this.statusCode = options.statusCode ?? 500;
    this.retryAfter = options.retryAfter;
  }
}
