// The program's `pulumi config` keys: one schema, read once by index.ts, validated before any resource exists.
import * as pulumi from '@pulumi/pulumi';
import { DnsLabelSchema, DnsSubdomainSchema } from '@kargo/model';
import { DEFAULT_RELAY_REPLICAS } from '@kargo/render';
import { z } from 'zod';
import { DEFAULT_ARGO_ROLLOUTS_VERSION } from './argo-rollouts.ts';
import { InfraErrorCode, KargoInfraError } from './errors.ts';
import { loadKargoTree, type KargoTree } from './kargo-projects.ts';
import { loadRelayRoutes, planRelayRoutes, type RelayRoutesSource } from './relay-routes.ts';
import { DEFAULT_RELAY_IMAGE } from './relay-image.ts';

/** How the chart's self-signed TLS certificates are provided. */
export const CertManagerMode = {
  /** cert-manager is already installed in the cluster: keep the chart's self-signed certificates. */
  existing: 'existing',
  /** Install cert-manager with this program first, then keep the chart's self-signed certificates. */
  install: 'install',
  /** No cert-manager: the chart's self-signed TLS is switched off everywhere it can be. */
  none: 'none',
} as const;
export type CertManagerMode = (typeof CertManagerMode)[keyof typeof CertManagerMode];

// The model's Kubernetes name schemas, so infra accepts exactly the names the rendered objects use.
const dnsLabel = DnsLabelSchema;
const dnsSubdomain = DnsSubdomainSchema;
// Go duration as the chart expects it (`5m0s`, `90s`, `1h`).
const goDuration = z.string().regex(/^(\d+(\.\d+)?(h|m|s|ms))+$/, 'must be a Go duration such as 5m0s');
// A namespace selector: a namespace's name (matched on its `kubernetes.io/metadata.name` label) or `key=value[,key=value]`.
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const selectorPairs = (text: string) => text.split(',').map((pair) => pair.trim().split('='));
const namespaceSelector = z
  .string()
  .refine(
    (text) => (text.includes('=') ? selectorPairs(text).every(([k, v, ...rest]) => rest.length === 0 && LABEL_KEY.test(k ?? '') && LABEL_VALUE.test(v ?? '')) : DnsLabelSchema.safeParse(text).success),
    'must be a namespace name or labels key=value[,key=value]',
  )
  .transform((text): Record<string, string> =>
    text.includes('=') ? Object.fromEntries(selectorPairs(text).map(([k, v]) => [k ?? '', v ?? ''])) : { 'kubernetes.io/metadata.name': text },
  );
// Comma-separated CIDRs.
const cidrList = z
  .string()
  .transform((text) => text.split(',').map((c) => c.trim()))
  .pipe(z.array(z.union([z.cidrv4(), z.cidrv6()], { error: 'must be CIDRs such as 172.18.0.2/32, comma-separated' })).min(1));

/** How Argo Rollouts (the AnalysisTemplate/AnalysisRun CRDs Kargo's verification needs) is provided. */
export const ArgoRolloutsMode = {
  /** Install Argo Rollouts with this program, before Kargo. */
  install: 'install',
  /** The cluster has it already: install nothing. */
  existing: 'existing',
} as const;
export type ArgoRolloutsMode = (typeof ArgoRolloutsMode)[keyof typeof ArgoRolloutsMode];

/** Where `kargo-env render` writes the kargo/ tree, relative to infra/ (read for its Projects and Stages). */
export const DEFAULT_KARGO_DIR = '../kargo';

/** Where `kargo-env render` writes the relay's routes, relative to infra/ (Pulumi's working directory). */
export const DEFAULT_RELAY_ROUTES_FILE = '../kargo/relay/routes.yaml';

/** Every non-secret key, with its default. `adminPassword` and `githubWebhookSecret` are read as secrets apart. */
export const InfraConfigSchema = z.strictObject({
  enableKargo: z.boolean().default(false),
  kargoVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'must be a chart version without "v", e.g. 1.11.2')
    .default('1.11.2'),
  namespace: dnsLabel.default('kargo-ns'),
  certManager: z.enum(['existing', 'install', 'none']).default('existing'),
  certManagerVersion: z.string().regex(/^v\d+\.\d+\.\d+$/, 'must be a cert-manager chart version such as v1.19.1').default('v1.19.1'),
  argoRollouts: z.enum(['install', 'existing']).default('install'),
  argoRolloutsVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'must be an argo-rollouts chart version without "v", e.g. 2.41.0')
    .default(DEFAULT_ARGO_ROLLOUTS_VERSION),
  argocdNamespace: dnsLabel.default('argocd'),
  kargoDir: z.string().min(1).default(DEFAULT_KARGO_DIR),
  gitRepoURL: z.string().min(1).default('https://github.com/alkon/kargo-gitops-toolkit.git'),
  gitRevision: z.string().min(1).default('main'),
  kargoPath: z
    .string()
    .min(1)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path relative to the repository root')
    .default('kargo'),
  minReconciliationInterval: goDuration.default('5m0s'),
  imageCacheByTagPolicy: z.enum(['Allow', 'Forbid', 'Require', 'Force']).default('Allow'),
  enableRelay: z.boolean().default(true),
  relayImage: z.string().regex(/^\S+[:@]\S+$/, 'must be an image reference with a tag or digest').default(DEFAULT_RELAY_IMAGE),
  relayIngressHost: dnsSubdomain.optional(),
  relayIngressClassName: dnsSubdomain.optional(),
  // The Ingress's TLS: a kubernetes.io/tls Secret in the relay's namespace, and/or a cert-manager ClusterIssuer writing it.
  relayIngressTlsSecret: dnsSubdomain.optional(),
  relayIngressClusterIssuer: dnsSubdomain.optional(),
  // The relay's NetworkPolicy: who may reach its HTTP port (the metrics share it), and where the API server is.
  relayIngressNamespaceSelector: namespaceSelector.prefault('ingress-nginx'),
  relayMonitoringNamespaceSelector: namespaceSelector.prefault('monitoring'),
  relayApiServerCidrs: cidrList.prefault('0.0.0.0/0'),
  // Where the API server's pods/services proxy dials the relay from (kargo-env doctor reads /readyz and /metrics
  // through it). No default: a wide ingress default would open every path of the relay to any address.
  relayApiServerProxyCidrs: cidrList.optional(),
  // The sweeper's GitHub hook (with the secret relayGithubToken): its numeric id, and its repository or organisation.
  relayGithubHookId: z.string().regex(/^\d+$/, 'must be the numeric hook id').optional(),
  relayGithubHookRepo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo').optional(),
  relayGithubHookOrg: z.string().min(1).optional(),
  // The inbox volume: ~17 KB per delivery kept for RELAY_RETENTION_HOURS (payload segments) plus its index rows.
  relayStorageSize: z
    .string()
    .regex(/^[1-9]\d*(Mi|Gi|Ti)$/, 'must be a size in Mi, Gi or Ti, e.g. 5Gi')
    .default('1Gi'),
  relayStorageClassName: dnsSubdomain.optional(),
  // The relay's StatefulSet: each replica with its own inbox volume; 2 keeps one serving through upgrades and node loss.
  relayReplicas: z
    .string()
    .regex(/^[1-9]\d*$/, 'must be a whole number of replicas, at least 1 (2 keeps the relay up through upgrades and node loss)')
    .transform(Number)
    .prefault(String(DEFAULT_RELAY_REPLICAS)),
  relayRoutesFile: z.string().min(1).default(DEFAULT_RELAY_ROUTES_FILE),
  webhookReceiverName: dnsSubdomain.default('ghcr'),
  webhookSecretName: dnsSubdomain.default('kargo-ghcr-webhook'),
  createProjectNamespaces: z.boolean().default(true),
  kubeconfig: z.string().min(1).optional(),
  kubeContext: z.string().min(1).optional(),
});
export type InfraConfig = z.infer<typeof InfraConfigSchema>;

/** Git write credentials for Kargo (`gitCredentials`), checked; the values stay a secret Output. */
export interface GitCredentials {
  /** `basic`: username + password (a token); `githubApp`: a GitHub App installation. */
  readonly kind: 'basic' | 'githubApp';
  /** The Secret keys, as Kargo v1.11.2 reads them (see GIT_CREDENTIAL_KEYS). */
  readonly keys: readonly string[];
  /** The values by key: a secret Output. */
  readonly data: pulumi.Output<Record<string, string>>;
}

/**
 * The keys of a Kargo v1.11.2 Git credentials Secret: pkg/credentials/basic/basic.go reads `username` and
 * `password`; pkg/credentials/github/app.go reads `githubAppID` (or the newer `githubAppClientID`),
 * `githubAppInstallationID` and `githubAppPrivateKey` (PEM, plain or base64).
 */
export const GIT_CREDENTIAL_KEYS = {
  basic: ['username', 'password'],
  githubApp: ['githubAppID', 'githubAppClientID', 'githubAppInstallationID', 'githubAppPrivateKey'],
} as const;

/**
 * Checks the JSON of `gitCredentials` and returns its kind and keys, or the problems. Messages name keys, never
 * values (not even a JSON parser's message, which quotes the text).
 */
export function checkGitCredentials(text: string): { ok: true; kind: GitCredentials['kind']; keys: string[] } | { ok: false; problems: string[] } {
  const where = 'gitCredentials';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problems: [`${where}: not valid JSON; expected {"username": …, "password": …} or {"githubAppID": …, "githubAppInstallationID": …, "githubAppPrivateKey": …}`] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problems: [`${where}: must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`] };
  }
  const obj = value as Record<string, unknown>;
  const given = Object.keys(obj);
  const basic: readonly string[] = GIT_CREDENTIAL_KEYS.basic;
  const app: readonly string[] = GIT_CREDENTIAL_KEYS.githubApp;
  const kind: GitCredentials['kind'] = given.some((k) => app.includes(k)) && !given.some((k) => basic.includes(k)) ? 'githubApp' : 'basic';
  const problems: string[] = [];
  if (given.some((k) => app.includes(k)) && given.some((k) => basic.includes(k))) {
    problems.push(`${where}: mixes username/password with GitHub App keys (${given.filter((k) => app.includes(k)).join(', ')}); use one or the other`);
  }
  const unknown = given.filter((k) => !basic.includes(k) && !app.includes(k));
  if (unknown.length > 0) problems.push(`${where}: unknown key(s) ${unknown.join(', ')}; allowed: ${[...basic, ...app].join(', ')}`);
  const required = kind === 'basic' ? basic : ['githubAppInstallationID', 'githubAppPrivateKey'];
  const missing = required.filter((k) => !(k in obj));
  if (kind === 'githubApp' && !('githubAppID' in obj) && !('githubAppClientID' in obj)) missing.unshift('githubAppID (or githubAppClientID)');
  if (missing.length > 0) problems.push(`${where}: missing key(s) ${missing.join(', ')}`);
  if ('githubAppID' in obj && 'githubAppClientID' in obj) problems.push(`${where}: give githubAppID or githubAppClientID, not both`);
  for (const k of given.filter((k) => basic.includes(k) || app.includes(k))) {
    const v = obj[k];
    const numeric = k === 'githubAppID' || k === 'githubAppInstallationID';
    if (typeof v === 'string' ? v.trim() === '' : !(numeric && typeof v === 'number' && Number.isSafeInteger(v) && v > 0)) {
      problems.push(`${where}.${k}: must be a non-empty string${numeric ? ' or a positive integer' : ''}`);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, kind, keys: given.sort() };
}

/** The secret keys, kept as secret Outputs end to end (never parsed into plain strings here). */
export interface InfraSecrets {
  readonly adminPassword: pulumi.Output<string> | undefined;
  readonly githubWebhookSecret: pulumi.Output<string> | undefined;
  /** `gitCredentials`, checked; undefined when not set. */
  readonly gitCredentials: GitCredentials | undefined;
  /** `relayGithubToken`: the relay sweeper's GitHub token (with `relayGithubHookId` and a repo or org); undefined when not set. */
  readonly relayGithubToken: pulumi.Output<string> | undefined;
}

type Kind = 'boolean' | 'string';
const KEYS: Record<keyof InfraConfig, Kind> = {
  enableKargo: 'boolean',
  kargoVersion: 'string',
  namespace: 'string',
  certManager: 'string',
  certManagerVersion: 'string',
  argoRollouts: 'string',
  argoRolloutsVersion: 'string',
  argocdNamespace: 'string',
  kargoDir: 'string',
  gitRepoURL: 'string',
  gitRevision: 'string',
  kargoPath: 'string',
  minReconciliationInterval: 'string',
  imageCacheByTagPolicy: 'string',
  enableRelay: 'boolean',
  relayImage: 'string',
  relayIngressHost: 'string',
  relayIngressClassName: 'string',
  relayIngressTlsSecret: 'string',
  relayIngressClusterIssuer: 'string',
  relayIngressNamespaceSelector: 'string',
  relayMonitoringNamespaceSelector: 'string',
  relayApiServerCidrs: 'string',
  relayApiServerProxyCidrs: 'string',
  relayGithubHookId: 'string',
  relayGithubHookRepo: 'string',
  relayGithubHookOrg: 'string',
  relayStorageSize: 'string',
  relayStorageClassName: 'string',
  relayReplicas: 'string',
  relayRoutesFile: 'string',
  webhookReceiverName: 'string',
  webhookSecretName: 'string',
  createProjectNamespaces: 'boolean',
  kubeconfig: 'string',
  kubeContext: 'string',
};

const REMOVED_KEYS: Record<string, string> = {
  relayTarget: 'the routes file says how the relay reaches Kargo: set relay.target in kargo-env.yaml and run `pnpm kargo-env render`',
};

export interface InfraSettings {
  readonly config: InfraConfig;
  readonly secrets: InfraSecrets;
  /** The relay's routes file, read and checked; only when the relay will be installed. */
  readonly relayRoutes: RelayRoutesSource | undefined;
  /** The rendered kargo/ tree's Projects and Stages (`kargoDir`); only when Kargo is on. */
  readonly kargoTree: KargoTree | undefined;
}

/**
 * Reads and validates every key, then the relay's routes file (`relayRoutesFile`, resolved against
 * `baseDir`: Pulumi runs the program with cwd = infra/) when the relay is on, and checks its receiver
 * targets against the installation. Throws one KargoInfraError listing all problems of the keys, one naming
 * file:line:column for the routes file, or one listing every receiver target that cannot work.
 */
export function readInfraConfig(cfg: pulumi.Config, baseDir: string = process.cwd()): InfraSettings {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, kind] of Object.entries(KEYS)) {
    const text = cfg.get(key);
    if (text === undefined) continue;
    if (kind === 'string') raw[key] = text;
    else if (text === 'true' || text === 'false') raw[key] = text === 'true';
    else problems.push(`${key}: must be true or false, got "${text}"`);
  }
  // Removed keys are reported rather than ignored, so an old stack config cannot silently mean something else.
  for (const [key, why] of Object.entries(REMOVED_KEYS)) if (cfg.get(key) !== undefined) problems.push(`${key}: no longer a setting; ${why}`);
  const gitCredentials = readGitCredentials(cfg, problems);
  const relayGithubToken = readRelayGithubToken(cfg, raw, problems);
  for (const key of ['relayIngressTlsSecret', 'relayIngressClusterIssuer']) {
    if (raw[key] !== undefined && raw.relayIngressHost === undefined) problems.push(`${key}: the relay's Ingress TLS needs relayIngressHost`);
  }
  const parsed = InfraConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || '(config)'}: ${issue.message}`);
  }
  if (problems.length > 0 || !parsed.success) {
    throw new KargoInfraError(InfraErrorCode.InvalidConfig, `invalid configuration of ${cfg.name}:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: 'see infra/README.md, "Configuration"',
    });
  }
  const config = parsed.data;
  const kargoTree = config.enableKargo ? loadKargoTree(config.kargoDir, baseDir) : undefined;
  const relayRoutes = config.enableKargo && config.enableRelay ? loadRelayRoutes(config.relayRoutesFile, baseDir) : undefined;
  // Checked against the installation here too, so a mismatch stops the program before any resource exists.
  if (relayRoutes !== undefined) {
    planRelayRoutes(relayRoutes, { namespace: config.namespace, tls: config.certManager !== 'none', receiverName: config.webhookReceiverName });
  }
  return {
    config,
    secrets: { adminPassword: cfg.getSecret('adminPassword'), githubWebhookSecret: cfg.getSecret('githubWebhookSecret'), gitCredentials, relayGithubToken },
    relayRoutes,
    kargoTree,
  };
}

// Internal to @pulumi/pulumi (runtime/config.ts), hence looked up rather than imported; undefined if it ever goes.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;

/** `gitCredentials`: checked now (problems go to `problems`), its values read only as a secret Output. */
function readGitCredentials(cfg: pulumi.Config, problems: string[]): GitCredentials | undefined {
  const fullKey = `${cfg.name}:gitCredentials`;
  // The text is read here only to check its shape; no part of it goes into a message or a plain value.
  const text = pulumi.runtime.getConfig(fullKey);
  if (text === undefined) return undefined;
  if (isConfigSecret !== undefined && !isConfigSecret(fullKey)) {
    problems.push("gitCredentials: stored in plain text; set it again with `pulumi config set --secret gitCredentials '{...}'`");
    return undefined;
  }
  const checked = checkGitCredentials(text);
  if (!checked.ok) {
    problems.push(...checked.problems);
    return undefined;
  }
  const secret = cfg.requireSecret('gitCredentials');
  const data = secret.apply((t) => {
    const obj = JSON.parse(t) as Record<string, string | number>;
    return Object.fromEntries(checked.keys.map((k) => [k, String(obj[k])]));
  });
  return { kind: checked.kind, keys: checked.keys, data: pulumi.secret(data) };
}

/**
 * `relayGithubToken` (secret) enables the relay's sweeper, which needs `relayGithubHookId` and exactly one of
 * `relayGithubHookRepo` or `relayGithubHookOrg`; those keys without the token are reported too (they would do nothing).
 */
function readRelayGithubToken(cfg: pulumi.Config, raw: Record<string, unknown>, problems: string[]): pulumi.Output<string> | undefined {
  const fullKey = `${cfg.name}:relayGithubToken`;
  const set = pulumi.runtime.getConfig(fullKey) !== undefined;
  const hookKeys = ['relayGithubHookId', 'relayGithubHookRepo', 'relayGithubHookOrg'].filter((k) => raw[k] !== undefined);
  if (!set) {
    if (hookKeys.length > 0) problems.push(`${hookKeys.join(', ')}: only used by the sweeper, which the secret relayGithubToken enables`);
    return undefined;
  }
  if (isConfigSecret !== undefined && !isConfigSecret(fullKey)) {
    problems.push('relayGithubToken: stored in plain text; set it again with `pulumi config set --secret relayGithubToken <token>`');
    return undefined;
  }
  if (raw.relayGithubHookId === undefined) problems.push('relayGithubHookId: relayGithubToken enables the sweeper, which needs the GitHub hook id');
  if ((raw.relayGithubHookRepo === undefined) === (raw.relayGithubHookOrg === undefined)) {
    problems.push('relayGithubHookRepo: the sweeper needs exactly one of relayGithubHookRepo (owner/repo) or relayGithubHookOrg');
  }
  return cfg.requireSecret('relayGithubToken');
}
