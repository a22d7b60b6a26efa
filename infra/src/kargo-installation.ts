// KargoInstallation: the Kargo namespace, generated admin credentials and the pinned Kargo chart.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import bcrypt from 'bcryptjs';
import type { CertManagerMode } from './config.ts';

/** Where every Kargo release comes from (reference/kargo.md §0). */
export const KARGO_CHART = 'oci://ghcr.io/akuity/kargo-charts/kargo';
/** Fixed by the chart: the API (and UI) Service and the external webhooks Service. */
export const KARGO_API_SERVICE = 'kargo-api';
export const KARGO_EXTERNAL_WEBHOOKS_SERVICE = 'kargo-external-webhooks-server';
/** cert-manager writes the external webhooks server's self-signed certificate (with `ca.crt`) here. */
export const KARGO_EXTERNAL_WEBHOOKS_CERT_SECRET = 'kargo-external-webhooks-server-cert';
/** The Secret the chart reads the admin account from (`api.secret.name`). */
export const ADMIN_SECRET_NAME = 'kargo-admin-credentials';

export interface KargoInstallationArgs {
  /** Namespace of the release; created by the component. */
  readonly namespace: string;
  /** Chart version, e.g. `1.11.2` (no leading `v`). */
  readonly version: string;
  readonly certManager: CertManagerMode;
  /** Admin password; generated (32 characters) when absent. Never a default. */
  readonly adminPassword?: pulumi.Input<string> | undefined;
  /** Namespace of Argo CD, for Kargo's Argo CD integration. @default `argocd` */
  readonly argocdNamespace?: string;
  /** Floor between two discoveries of a Warehouse. @default `5m0s` */
  readonly minReconciliationInterval?: string;
  /** `controller.images.cache.cacheByTagPolicy`. @default `Allow` */
  readonly imageCacheByTagPolicy?: 'Allow' | 'Forbid' | 'Require' | 'Force';
  /** Resources the chart must wait for (the cert-manager and Argo Rollouts installs, the Argo CD check). */
  readonly releaseDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** TLS values for every server of the chart, consistent with how certificates are provided. */
export function kargoTlsValues(mode: CertManagerMode): Record<string, unknown> {
  const selfSigned = mode !== 'none';
  return {
    api: { tls: { enabled: selfSigned, selfSignedCert: selfSigned } },
    externalWebhooksServer: { tls: { enabled: selfSigned, selfSignedCert: selfSigned } },
    // Admission webhooks are always HTTPS (the API server demands it); without cert-manager the chart
    // expects the certificate to be supplied, see README "Troubleshooting".
    webhooksServer: { tls: { selfSignedCert: selfSigned } },
  };
}

/** Chart values. No credential is ever a value: the admin account comes from `api.secret.name`. */
export function kargoChartValues(args: KargoInstallationArgs): Record<string, unknown> {
  const tls = kargoTlsValues(args.certManager) as {
    api: Record<string, unknown>;
    externalWebhooksServer: Record<string, unknown>;
    webhooksServer: Record<string, unknown>;
  };
  return {
    api: {
      ...tls.api,
      secret: { name: ADMIN_SECRET_NAME },
      adminAccount: { enabled: true, tokenTTL: '24h' },
      // Stated rather than left to the chart's default (true): the API server creates/updates AnalysisTemplates
      // only with it; like the controller it checks for the CRDs once at start-up (cmd/controlplane/api.go).
      rollouts: { integrationEnabled: true },
    },
    controller: {
      argocd: { integrationEnabled: true, namespace: args.argocdNamespace ?? 'argocd' },
      // Stage verification runs AnalysisRuns through it. Kargo v1.11.2 checks for the Rollouts CRDs once, at
      // controller start-up (cmd/controlplane/controller.go), and turns the integration off for the life of the
      // process when they are missing: the release therefore depends on Argo Rollouts (argo-rollouts.ts).
      rollouts: { integrationEnabled: true },
      reconcilers: { warehouses: { minReconciliationInterval: args.minReconciliationInterval ?? '5m0s' } },
      images: { cache: { cacheByTagPolicy: args.imageCacheByTagPolicy ?? 'Allow', maxEntries: 100000 } },
    },
    externalWebhooksServer: {
      ...tls.externalWebhooksServer,
      enabled: true,
      // Receiver URLs in ProjectConfig status then point at the in-cluster Service the relay can reach.
      host: `${KARGO_EXTERNAL_WEBHOOKS_SERVICE}.${args.namespace}.svc`,
    },
    webhooksServer: tls.webhooksServer,
  };
}

/**
 * A pinned Kargo release with generated admin credentials.
 *
 * Chart resource: `helm.v3.Release`, not `helm.v4.Chart`. The Release runs Helm itself in the provider,
 * so the chart's hooks, `lookup` calls and cert-manager `Certificate`s apply in Helm's order even when
 * cert-manager's CRDs are installed in the same `pulumi up` (a client-side rendered v4 Chart needs
 * those CRDs at preview); `helm list`/`helm history` keep working for operators; and removing the
 * Release uninstalls every object it made, CRDs included (the chart renders them as templates).
 */
export class KargoInstallation extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly adminPassword: pulumi.Output<string>;
  readonly adminSecretName: pulumi.Output<string>;
  readonly apiServiceName: string = KARGO_API_SERVICE;
  /** Port of the `kargo-api` Service: 443 with TLS, 80 without. */
  readonly apiServicePort: number;
  readonly externalWebhooksTls: boolean;
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: KargoInstallationArgs, opts?: pulumi.ComponentResourceOptions) {
    super('kargo:infra:KargoInstallation', name, {}, opts);
    const parent = { parent: this };

    const ns = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: args.namespace } }, parent);

    let password: pulumi.Output<string>;
    let hash: pulumi.Output<string>;
    if (args.adminPassword === undefined) {
      const generated = new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, parent);
      password = generated.result;
      // Computed once by the provider and kept in state, so the hash is stable across `pulumi up`.
      hash = generated.bcryptHash;
    } else {
      // bcrypt salts randomly; a salt kept in state makes the hash (and the Secret) stable across runs.
      const salt = new random.RandomString(
        `${name}-admin-password-salt`,
        { length: 22, upper: true, lower: true, numeric: true, special: true, overrideSpecial: './' },
        parent,
      );
      password = pulumi.secret(pulumi.output(args.adminPassword));
      hash = pulumi.all([password, salt.result]).apply(([p, s]) => bcrypt.hashSync(p, `$2b$10$${s}`));
    }
    // 32 random bytes, hex-encoded: the chart signs admin tokens with it.
    const signingKey = new random.RandomBytes(`${name}-token-signing-key`, { length: 32 }, parent);

    const adminSecret = new k8s.core.v1.Secret(
      `${name}-admin-credentials`,
      {
        metadata: { name: ADMIN_SECRET_NAME, namespace: ns.metadata.name },
        type: 'Opaque',
        stringData: {
          ADMIN_ACCOUNT_PASSWORD_HASH: pulumi.secret(hash),
          ADMIN_ACCOUNT_TOKEN_SIGNING_KEY: pulumi.secret(signingKey.hex),
        },
      },
      parent,
    );

    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: 'kargo',
        chart: KARGO_CHART,
        version: args.version,
        namespace: ns.metadata.name,
        values: kargoChartValues(args),
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
      },
      { parent: this, dependsOn: [adminSecret, ...(args.releaseDependsOn ?? [])] },
    );

    this.namespace = ns.metadata.name;
    this.adminPassword = pulumi.secret(password);
    this.adminSecretName = adminSecret.metadata.name;
    this.apiServicePort = args.certManager === 'none' ? 80 : 443;
    this.externalWebhooksTls = args.certManager !== 'none';
    this.registerOutputs({ namespace: this.namespace, adminPassword: this.adminPassword, adminSecretName: this.adminSecretName });
  }
}
