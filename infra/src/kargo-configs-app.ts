// KargoConfigsApp: the Argo CD app-of-apps `kargo-configs` that syncs the rendered kargo/ tree from Git.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { invalidProps } from './errors.ts';

export interface KargoConfigsAppArgs {
  readonly repoURL: string;
  readonly targetRevision: string;
  /** Repository-relative folder of the rendered tree. @default `kargo` */
  readonly path?: string;
  /** Namespace of Argo CD. @default `argocd` */
  readonly argocdNamespace?: string;
  /** Argo CD AppProject. @default `default` */
  readonly project?: string;
  /** Resources Argo CD's sync needs first (the Kargo release: its CRDs and admission webhooks). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The Application object; kept in step with @kargo/render's KargoConfigsApp construct. */
export function kargoConfigsApplication(args: KargoConfigsAppArgs) {
  const path = args.path ?? 'kargo';
  if (path.startsWith('/') || path.split('/').includes('..')) throw invalidProps('KargoConfigsApp', 'kargo-configs', `path "${path}" must be relative to the repository root`);
  const namespace = args.argocdNamespace ?? 'argocd';
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: 'kargo-configs',
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'kargo-env' },
      // Deleting the Application (enableKargo=false) first deletes what it synced: Projects, Stages and
      // the environment Applications — nothing is left behind.
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec: {
      project: args.project ?? 'default',
      source: {
        repoURL: args.repoURL,
        targetRevision: args.targetRevision,
        path,
        // Values files and the relay's routes are data, not manifests.
        directory: { recurse: true, exclude: '{values/*,relay/*,*/values/*,*/relay/*}' },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
    },
  };
}

export class KargoConfigsApp extends pulumi.ComponentResource {
  readonly applicationName: pulumi.Output<string>;

  constructor(name: string, args: KargoConfigsAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super('kargo:infra:KargoConfigsApp', name, {}, opts);
    const app = new k8s.apiextensions.CustomResource(name, kargoConfigsApplication(args), { parent: this, dependsOn: args.dependsOn ?? [] });
    this.applicationName = app.metadata.name;
    this.registerOutputs({ applicationName: this.applicationName });
  }
}
