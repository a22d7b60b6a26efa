// The program's `pulumi config` keys: one schema, read once by index.ts, validated before any resource exists.
import type * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { InfraErrorCode, KargoInfraError } from './errors.ts';

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

/** How the relay makes Kargo refresh a Warehouse. */
export const RelayTargetMode = {
  /** Merge-patch the Warehouse's refresh annotation (what `kargo-env render` writes into relay/routes.yaml). */
  kubernetes: 'kubernetes',
  /** Re-sign the delivery to Kargo's GitHub receiver in the Warehouse's Project. */
  kargoWebhook: 'kargoWebhook',
} as const;
export type RelayTargetMode = (typeof RelayTargetMode)[keyof typeof RelayTargetMode];

const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower-case letters, digits and "-")');
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS-1123 subdomain');
// Go duration as the chart expects it (`5m0s`, `90s`, `1h`).
const goDuration = z.string().regex(/^(\d+(\.\d+)?(h|m|s|ms))+$/, 'must be a Go duration such as 5m0s');

/** One Warehouse the relay refreshes when its image is pushed (same shape `kargo-env render` routes). */
export const RelayWarehouseSchema = z.strictObject({
  image: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, 'must be an image repository without tag, e.g. ghcr.io/alkon/flask-app'),
  /** The Kargo Project (and namespace) of the Warehouse. */
  project: dnsLabel,
  warehouse: dnsSubdomain,
});
export type RelayWarehouse = z.infer<typeof RelayWarehouseSchema>;

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
  relayTarget: z.enum(['kubernetes', 'kargoWebhook']).default('kubernetes'),
  relayWarehouses: z
    .array(RelayWarehouseSchema)
    .min(1, 'the relay needs at least one Warehouse to route to')
    .default([{ image: 'ghcr.io/alkon/flask-app', project: 'flask-app', warehouse: 'flask-app' }]),
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

type Kind = 'boolean' | 'string' | 'object';
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
  relayTarget: 'string',
  relayWarehouses: 'object',
  webhookReceiverName: 'string',
  webhookSecretName: 'string',
  createProjectNamespaces: 'boolean',
  kubeconfig: 'string',
  kubeContext: 'string',
};

/** Reads and validates every key; throws one KargoInfraError listing all problems. */
export function readInfraConfig(cfg: pulumi.Config): { config: InfraConfig; secrets: InfraSecrets } {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, kind] of Object.entries(KEYS)) {
    const text = cfg.get(key);
    if (text === undefined) continue;
    if (kind === 'string') raw[key] = text;
    else if (kind === 'boolean') {
      if (text === 'true' || text === 'false') raw[key] = text === 'true';
      else problems.push(`${key}: must be true or false, got "${text}"`);
    } else {
      try {
        raw[key] = JSON.parse(text) as unknown;
      } catch {
        problems.push(`${key}: must be structured config (pulumi config set --path or a YAML object in the stack file)`);
      }
    }
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
  return {
    config: parsed.data,
    secrets: { adminPassword: cfg.getSecret('adminPassword'), githubWebhookSecret: cfg.getSecret('githubWebhookSecret') },
  };
}
