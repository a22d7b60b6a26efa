// The program's `pulumi config` keys: one schema, read once by index.ts, validated before any resource exists.
import type * as pulumi from '@pulumi/pulumi';
import { DnsLabelSchema, DnsSubdomainSchema } from '@kargo/model';
import { z } from 'zod';
import { InfraErrorCode, KargoInfraError } from './errors.ts';
import { loadRelayRoutes, planRelayRoutes, type RelayRoutesSource } from './relay-routes.ts';

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
  argocdNamespace: dnsLabel.default('argocd'),
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
  relayImage: z.string().regex(/^\S+[:@]\S+$/, 'must be an image reference with a tag or digest').default('ghcr.io/alkon/kargo-webhook-relay:0.1.0'),
  relayIngressHost: dnsSubdomain.optional(),
  relayIngressClassName: dnsSubdomain.optional(),
  // The inbox volume: ~17 KB per delivery kept for RELAY_RETENTION_HOURS (payload segments) plus its index rows.
  relayStorageSize: z
    .string()
    .regex(/^[1-9]\d*(Mi|Gi|Ti)$/, 'must be a size in Mi, Gi or Ti, e.g. 5Gi')
    .default('1Gi'),
  relayStorageClassName: dnsSubdomain.optional(),
  relayRoutesFile: z.string().min(1).default(DEFAULT_RELAY_ROUTES_FILE),
  webhookReceiverName: dnsSubdomain.default('ghcr'),
  webhookSecretName: dnsSubdomain.default('kargo-ghcr-webhook'),
  createProjectNamespaces: z.boolean().default(true),
  kubeconfig: z.string().min(1).optional(),
  kubeContext: z.string().min(1).optional(),
});
export type InfraConfig = z.infer<typeof InfraConfigSchema>;

/** The secret keys, kept as secret Outputs end to end (never parsed into plain strings here). */
export interface InfraSecrets {
  readonly adminPassword: pulumi.Output<string> | undefined;
  readonly githubWebhookSecret: pulumi.Output<string> | undefined;
}

type Kind = 'boolean' | 'string';
const KEYS: Record<keyof InfraConfig, Kind> = {
  enableKargo: 'boolean',
  kargoVersion: 'string',
  namespace: 'string',
  certManager: 'string',
  certManagerVersion: 'string',
  argocdNamespace: 'string',
  gitRepoURL: 'string',
  gitRevision: 'string',
  kargoPath: 'string',
  minReconciliationInterval: 'string',
  imageCacheByTagPolicy: 'string',
  enableRelay: 'boolean',
  relayImage: 'string',
  relayIngressHost: 'string',
  relayIngressClassName: 'string',
  relayStorageSize: 'string',
  relayStorageClassName: 'string',
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
  const relayRoutes = config.enableKargo && config.enableRelay ? loadRelayRoutes(config.relayRoutesFile, baseDir) : undefined;
  // Checked against the installation here too, so a mismatch stops the program before any resource exists.
  if (relayRoutes !== undefined) {
    planRelayRoutes(relayRoutes, { namespace: config.namespace, tls: config.certManager !== 'none', receiverName: config.webhookReceiverName });
  }
  return {
    config,
    secrets: { adminPassword: cfg.getSecret('adminPassword'), githubWebhookSecret: cfg.getSecret('githubWebhookSecret') },
    relayRoutes,
  };
}
