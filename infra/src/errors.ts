// Typed errors of the infra program: every error has a stable `code` callers can switch on.

export const InfraErrorCode = {
  /** A `pulumi config` value is missing, malformed or inconsistent with another. */
  InvalidConfig: 'KARGO_INFRA_INVALID_CONFIG',
  /** The relay's routes file cannot be read or is invalid (the message names file:line:column). */
  InvalidRoutesFile: 'KARGO_INFRA_INVALID_ROUTES_FILE',
  /** The routes file's receiver targets do not fit the installation (namespace, TLS, receiver name, CA). */
  RoutesMismatch: 'KARGO_INFRA_ROUTES_MISMATCH',
  /** Kargo's external webhooks certificate Secret has no `ca.crt` to copy for the relay. */
  KargoCaMissing: 'KARGO_INFRA_KARGO_CA_MISSING',
  /** The rendered kargo/ tree (`kargoDir`) cannot be read or holds no Kargo Project. */
  InvalidKargoTree: 'KARGO_INFRA_INVALID_KARGO_TREE',
  /** The cluster's `applications.argoproj.io` CRD is not Argo CD's (no served `argoproj.io/v1alpha1` Application). */
  ArgoCdMissing: 'KARGO_INFRA_ARGOCD_MISSING',
  /** A component was given props that cannot produce a valid object (names the object). */
  InvalidProps: 'KARGO_INFRA_INVALID_PROPS',
} as const;
export type InfraErrorCode = (typeof InfraErrorCode)[keyof typeof InfraErrorCode];

export interface InfraErrorOptions {
  readonly cause?: unknown;
  readonly hint?: string;
}

/** Base class of every error this package throws. */
export class KargoInfraError extends Error {
  readonly code: InfraErrorCode;
  readonly hint: string | undefined;

  constructor(code: InfraErrorCode, message: string, options: InfraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KargoInfraError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** Rejects an invalid combination of props, naming the component kind and object. */
export function invalidProps(what: string, name: string, message: string): KargoInfraError {
  return new KargoInfraError(InfraErrorCode.InvalidProps, `${what} "${name}": ${message}`);
}
