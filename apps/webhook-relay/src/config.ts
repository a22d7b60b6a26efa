// Reads and validates the environment once at boot; the only module that looks at process.env.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { formatIssue, parseRelayRoutes, type RelayRoutes } from '@kargo/model/relay';
import { z } from 'zod';
import { RelayError, RelayErrorCode } from './errors.ts';

const REQUIRED_ROUTES_FILE = 'not set; it must name the routes file (YAML)';
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** client-go's leaderelection.JitterFactor: the renew deadline must exceed the retry period by this factor. */
export const LEASE_JITTER_FACTOR = 1.2;

// Each schema's message completes `NAME: "value" …`, so a report names the variable, what it holds and what is wrong.
const int = (min: number, max: number) => {
  const error = `is not an integer from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `is not one of ${values.join(', ')}` });
const bool = oneOf(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Every variable the relay reads, with its default. The README's configuration table mirrors this. */
export const EnvSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1, { error: 'is empty; set a listen address or leave it unset (0.0.0.0)' }).default('0.0.0.0'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GITHUB_WEBHOOK_SECRETS: optionalString,
  GITHUB_WEBHOOK_SECRETS_FILE: optionalString,
  RELAY_ROUTES_FILE: z.string({ error: REQUIRED_ROUTES_FILE }).min(1, { error: REQUIRED_ROUTES_FILE }),
  RELAY_DATA_DIR: z.string().min(1, { error: 'is empty; set the inbox directory or leave it unset (./.relay-data)' }).default('./.relay-data'),
  RELAY_ADMIN_TOKEN: optionalString,
  RELAY_MAX_PENDING: int(1, 10_000_000).default(10_000),
  RELAY_COALESCE_WINDOW_MS: int(0, 60_000).default(2_000),
  RELAY_RETRY_BASE_MS: int(1, 3_600_000).default(1_000),
  RELAY_RETRY_MAX_MS: int(1, 86_400_000).default(300_000),
  RELAY_GIVE_UP_MS: int(1_000, 30 * 86_400_000).default(86_400_000),
  RELAY_FORWARD_TIMEOUT_MS: int(100, 600_000).default(10_000),
  RELAY_FORWARD_CONCURRENCY: int(1, 1_000).default(16),
  RELAY_DRAIN_TIMEOUT_MS: int(0, 600_000).default(15_000),
  RELAY_SHUTDOWN_DELAY_MS: int(0, 600_000).default(0),
  RELAY_RETENTION_HOURS: int(1, 24 * 365).default(96),
  RELAY_RATE_LIMIT_PER_MINUTE: int(1, 10_000_000).default(6_000),
  RELAY_TRUST_PROXY: bool.default(false),
  RELAY_HEADERS_TIMEOUT_MS: int(100, 600_000).default(10_000),
  RELAY_REQUEST_TIMEOUT_MS: int(100, 600_000).default(15_000),
  RELAY_PREAUTH_MAX_BYTES: int(1024 * 1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  RELAY_PREAUTH_MAX_REQUESTS: int(1, 100_000).default(128),
  KUBECONFIG: optionalString,
  GITHUB_TOKEN: optionalString,
  GITHUB_API_URL: z.url({ error: 'is not a URL (e.g. https://api.github.com)' }).default('https://api.github.com'),
  GITHUB_HOOK_REPO: optionalString.pipe(z.string().regex(/^[\w.-]+\/[\w.-]+$/, { error: 'is not owner/repo' }).optional()),
  GITHUB_HOOK_ORG: optionalString,
  GITHUB_HOOK_ID: optionalString.pipe(z.string().regex(/^\d+$/, { error: 'is not the numeric hook id' }).optional()),
  RELAY_SWEEP_INTERVAL_MS: int(1_000, 86_400_000).default(300_000),
  RELAY_SWEEP_MAX_REDELIVERIES: int(1, 1_000).default(20),
  RELAY_SWEEPER_LEASE_NAME: optionalString.pipe(z.string().max(253).regex(DNS1123_SUBDOMAIN, { error: 'is not a Kubernetes object name (DNS-1123 subdomain)' }).optional()),
  RELAY_SWEEPER_LEASE_NAMESPACE: optionalString.pipe(z.string().max(63).regex(DNS1123_LABEL, { error: 'is not a namespace name (DNS-1123 label)' }).optional()),
  RELAY_SWEEPER_LEASE_IDENTITY: optionalString,
  RELAY_SWEEPER_LEASE_DURATION_SECONDS: int(1, 3_600).default(15),
  RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS: int(100, 3_600_000).default(10_000),
  RELAY_SWEEPER_LEASE_RETRY_PERIOD_MS: int(50, 600_000).default(2_000),
});

type Env = z.output<typeof EnvSchema>;
type EnvName = keyof Env;
const ENV_NAMES = Object.keys(EnvSchema.shape) as EnvName[];

/** Their values never appear in a report. */
const SECRET_VARS: ReadonlySet<string> = new Set(['GITHUB_WEBHOOK_SECRETS', 'GITHUB_TOKEN', 'RELAY_ADMIN_TOKEN']);

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** `NAME: "value" is not …`, or `NAME: <message>` for an unset variable; one line whatever the value holds. */
function envProblem(name: string, raw: string | undefined, message: string): string {
  if (raw === undefined || raw === '' || SECRET_VARS.has(name)) return `${name}: ${message}`;
  const shown = raw.length > 100 ? `${raw.slice(0, 100)}…` : raw;
  return `${name}: ${JSON.stringify(shown)} ${message}`;
}

/**
 * Validates each variable on its own, then the rules between them, so one start reports every problem of the
 * environment (not the first one, then the next after a restart). Values of the variables that are valid are
 * returned, for the checks of the files they name.
 */
function validateEnv(env: Readonly<Record<string, string | undefined>>): { values: Partial<Env>; problems: string[] } {
  const values: Partial<Record<EnvName, unknown>> = {};
  const found: { name: EnvName; text: string }[] = [];
  for (const name of ENV_NAMES) {
    const result = EnvSchema.shape[name].safeParse(env[name]);
    if (result.success) values[name] = result.data;
    else found.push({ name, text: envProblem(name, env[name], result.error.issues[0]?.message ?? 'is not valid') });
  }
  if (!isSet(env.GITHUB_WEBHOOK_SECRETS) && !isSet(env.GITHUB_WEBHOOK_SECRETS_FILE)) {
    found.push({ name: 'GITHUB_WEBHOOK_SECRETS', text: 'GITHUB_WEBHOOK_SECRETS: set GITHUB_WEBHOOK_SECRETS (comma-separated) or GITHUB_WEBHOOK_SECRETS_FILE' });
  }
  if (isSet(env.GITHUB_TOKEN)) {
    // A variable that is set but malformed is reported above, not also as missing.
    if (!isSet(env.GITHUB_HOOK_ID)) found.push({ name: 'GITHUB_HOOK_ID', text: 'GITHUB_HOOK_ID: GITHUB_TOKEN enables the sweeper, which needs GITHUB_HOOK_ID' });
    if (isSet(env.GITHUB_HOOK_REPO) === isSet(env.GITHUB_HOOK_ORG)) {
      found.push({ name: 'GITHUB_HOOK_REPO', text: 'GITHUB_HOOK_REPO: the sweeper needs exactly one of GITHUB_HOOK_REPO (owner/repo) or GITHUB_HOOK_ORG' });
    }
  }
  if (isSet(env.RELAY_SWEEPER_LEASE_NAME)) {
    if (!isSet(env.GITHUB_TOKEN)) found.push({ name: 'RELAY_SWEEPER_LEASE_NAME', text: 'RELAY_SWEEPER_LEASE_NAME: only used by the sweeper, which GITHUB_TOKEN enables' });
    if (!isSet(env.RELAY_SWEEPER_LEASE_NAMESPACE)) found.push({ name: 'RELAY_SWEEPER_LEASE_NAMESPACE', text: 'RELAY_SWEEPER_LEASE_NAMESPACE: RELAY_SWEEPER_LEASE_NAME needs the namespace of its Lease' });
  }
  // client-go's leaderelection rules (NewLeaderElector): a leader gives up before anyone else may take over.
  const duration = values.RELAY_SWEEPER_LEASE_DURATION_SECONDS;
  const deadline = values.RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS;
  const retry = values.RELAY_SWEEPER_LEASE_RETRY_PERIOD_MS;
  if (typeof duration === 'number' && typeof deadline === 'number' && duration * 1000 <= deadline) {
    found.push({ name: 'RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS', text: `RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS: ${deadline} is not less than RELAY_SWEEPER_LEASE_DURATION_SECONDS (${duration} s); a leader must give up before the others may take over` });
  }
  if (typeof deadline === 'number' && typeof retry === 'number' && deadline <= LEASE_JITTER_FACTOR * retry) {
    found.push({ name: 'RELAY_SWEEPER_LEASE_RETRY_PERIOD_MS', text: `RELAY_SWEEPER_LEASE_RETRY_PERIOD_MS: ${retry} × ${LEASE_JITTER_FACTOR} is not less than RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS (${deadline}); a leader must be able to retry a renewal before its deadline` });
  }
  const headersTimeout = values.RELAY_HEADERS_TIMEOUT_MS;
  const requestTimeout = values.RELAY_REQUEST_TIMEOUT_MS;
  if (typeof headersTimeout === 'number' && typeof requestTimeout === 'number' && headersTimeout > requestTimeout) {
    found.push({ name: 'RELAY_HEADERS_TIMEOUT_MS', text: `RELAY_HEADERS_TIMEOUT_MS: ${headersTimeout} is more than RELAY_REQUEST_TIMEOUT_MS (${requestTimeout}); the headers are part of the request` });
  }
  // In EnvSchema's order.
  found.sort((a, b) => ENV_NAMES.indexOf(a.name) - ENV_NAMES.indexOf(b.name));
  return { values: values as Partial<Env>, problems: found.map((f) => f.text) };
}

/** Leader election of the sweeper over a coordination.k8s.io/v1 Lease, with client-go's timing rules. */
export interface LeaseConfig {
  readonly name: string;
  readonly namespace: string;
  /** This replica's holderIdentity (its pod name). */
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export interface SweeperConfig {
  readonly token: string;
  readonly apiUrl: string;
  /** `repos/owner/repo/hooks/123` or `orgs/org/hooks/123`, relative to the API URL. */
  readonly hookPath: string;
  readonly intervalMs: number;
  readonly maxRedeliveries: number;
  /** When set, the sweeper runs only on the replica holding this Lease (several replicas, one sweeper). */
  readonly lease: LeaseConfig | undefined;
}

export interface RelayConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  /** Any of them may have signed a delivery (rotation: new first, old after). */
  readonly webhookSecrets: readonly string[];
  readonly routesFile: string;
  readonly routes: RelayRoutes;
  readonly dataDir: string;
  readonly adminToken: string | undefined;
  readonly maxPending: number;
  readonly coalesceWindowMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly giveUpMs: number;
  readonly forwardTimeoutMs: number;
  readonly forwardConcurrency: number;
  readonly drainTimeoutMs: number;
  /** On SIGTERM, how long the relay keeps serving with /readyz at 503 before it closes (endpoints catch up). */
  readonly shutdownDelayMs: number;
  readonly retentionMs: number;
  readonly rateLimitPerMinute: number;
  readonly trustProxy: boolean;
  /** Deadline for a request's headers, from the connection (or the previous response) on. */
  readonly headersTimeoutMs: number;
  /** Deadline for a request's body, from its headers on. */
  readonly requestTimeoutMs: number;
  /** Global budget of requests not yet authenticated: declared body bytes in flight, and their number. */
  readonly preauthMaxBytes: number;
  readonly preauthMaxRequests: number;
  readonly kubeconfig: string | undefined;
  /** Values of the env vars the routes name in `secretEnv`, read at boot like everything else. */
  readonly targetSecrets: ReadonlyMap<string, string>;
  /** PEM text of each `caFile` the routes name, read (and so checked) at boot. */
  readonly caBundles: ReadonlyMap<string, string>;
  readonly sweeper: SweeperConfig | undefined;
}

function splitSecrets(raw: string): string[] {
  return raw
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Builds the typed configuration or throws a RelayError whose message lists every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): RelayConfig {
  const { values: v, problems } = validateEnv(env);

  // The files the variables name are checked even when other variables are wrong: one report for everything.
  let secrets = v.GITHUB_WEBHOOK_SECRETS === undefined ? [] : splitSecrets(v.GITHUB_WEBHOOK_SECRETS);
  let secretsReported = v.GITHUB_WEBHOOK_SECRETS === undefined && v.GITHUB_WEBHOOK_SECRETS_FILE === undefined;
  if (v.GITHUB_WEBHOOK_SECRETS_FILE !== undefined) {
    try {
      secrets = [...secrets, ...splitSecrets(readFileSync(v.GITHUB_WEBHOOK_SECRETS_FILE, 'utf8'))];
    } catch (cause) {
      problems.push(`GITHUB_WEBHOOK_SECRETS_FILE: cannot read ${v.GITHUB_WEBHOOK_SECRETS_FILE} (${(cause as Error).message})`);
      secretsReported = true;
    }
  }
  if (secrets.length === 0 && !secretsReported) problems.push('GITHUB_WEBHOOK_SECRETS: no secret given (only separators or an empty file)');

  const routesFile = v.RELAY_ROUTES_FILE === undefined ? undefined : resolve(v.RELAY_ROUTES_FILE);
  let routes: RelayRoutes = { routes: [] };
  let routesText: string | undefined;
  if (routesFile !== undefined) {
    try {
      routesText = readFileSync(routesFile, 'utf8');
    } catch (cause) {
      problems.push(`RELAY_ROUTES_FILE: cannot read ${routesFile} (${(cause as Error).message})`);
    }
  }
  if (routesText !== undefined && routesFile !== undefined) {
    const result = parseRelayRoutes(routesText, { filename: routesFile });
    if (result.ok) routes = result.value;
    else problems.push(...result.errors.map((i) => `RELAY_ROUTES_FILE: ${formatIssue(i)}`));
  }

  const targetSecrets = new Map<string, string>();
  const caBundles = new Map<string, string>();
  for (const route of routes.routes) {
    for (const target of route.targets) {
      if (!('kargoWebhook' in target)) continue;
      const name = target.kargoWebhook.secretEnv;
      const value = env[name];
      if (value === undefined || value === '') problems.push(`${name}: the routes file names it as a receiver secret (image ${route.image}) but it is not set`);
      else targetSecrets.set(name, value);
      const { caFile } = target.kargoWebhook;
      if (caFile !== undefined && !caBundles.has(caFile)) {
        try {
          const pem = readFileSync(caFile, 'utf8');
          if (!pem.includes('-----BEGIN CERTIFICATE-----')) problems.push(`caFile ${caFile} (image ${route.image}): no PEM certificate in it`);
          else caBundles.set(caFile, pem);
        } catch (cause) {
          problems.push(`caFile ${caFile} (image ${route.image}): cannot read it (${(cause as Error).message})`);
        }
      }
    }
  }

  if (problems.length > 0 || routesFile === undefined) {
    throw new RelayError(RelayErrorCode.InvalidConfig, `invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  // Every variable parsed (a failed one is a problem above), so the values are complete.
  const e = v as Env;

  const sweeper: SweeperConfig | undefined =
    e.GITHUB_TOKEN === undefined || e.GITHUB_HOOK_ID === undefined
      ? undefined
      : {
          token: e.GITHUB_TOKEN,
          apiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''),
          hookPath: e.GITHUB_HOOK_REPO !== undefined ? `repos/${e.GITHUB_HOOK_REPO}/hooks/${e.GITHUB_HOOK_ID}` : `orgs/${e.GITHUB_HOOK_ORG ?? ''}/hooks/${e.GITHUB_HOOK_ID}`,
          intervalMs: e.RELAY_SWEEP_INTERVAL_MS,
          maxRedeliveries: e.RELAY_SWEEP_MAX_REDELIVERIES,
          lease:
            e.RELAY_SWEEPER_LEASE_NAME === undefined
              ? undefined
              : {
                  name: e.RELAY_SWEEPER_LEASE_NAME,
                  namespace: e.RELAY_SWEEPER_LEASE_NAMESPACE ?? '',
                  identity: e.RELAY_SWEEPER_LEASE_IDENTITY ?? hostname(),
                  leaseDurationSeconds: e.RELAY_SWEEPER_LEASE_DURATION_SECONDS,
                  renewDeadlineMs: e.RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS,
                  retryPeriodMs: e.RELAY_SWEEPER_LEASE_RETRY_PERIOD_MS,
                },
        };

  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    webhookSecrets: secrets,
    routesFile,
    routes,
    dataDir: resolve(e.RELAY_DATA_DIR),
    adminToken: e.RELAY_ADMIN_TOKEN,
    maxPending: e.RELAY_MAX_PENDING,
    coalesceWindowMs: e.RELAY_COALESCE_WINDOW_MS,
    retryBaseMs: e.RELAY_RETRY_BASE_MS,
    retryMaxMs: e.RELAY_RETRY_MAX_MS,
    giveUpMs: e.RELAY_GIVE_UP_MS,
    forwardTimeoutMs: e.RELAY_FORWARD_TIMEOUT_MS,
    forwardConcurrency: e.RELAY_FORWARD_CONCURRENCY,
    drainTimeoutMs: e.RELAY_DRAIN_TIMEOUT_MS,
    shutdownDelayMs: e.RELAY_SHUTDOWN_DELAY_MS,
    retentionMs: e.RELAY_RETENTION_HOURS * 3_600_000,
    rateLimitPerMinute: e.RELAY_RATE_LIMIT_PER_MINUTE,
    trustProxy: e.RELAY_TRUST_PROXY,
    headersTimeoutMs: e.RELAY_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.RELAY_REQUEST_TIMEOUT_MS,
    preauthMaxBytes: e.RELAY_PREAUTH_MAX_BYTES,
    preauthMaxRequests: e.RELAY_PREAUTH_MAX_REQUESTS,
    kubeconfig: e.KUBECONFIG,
    targetSecrets,
    caBundles,
    sweeper,
  };
}
