import { Construct } from 'constructs';
import { ARGOCD_API_VERSION, ARGOCD_NAMESPACE, IN_CLUSTER_SERVER, Label, MANAGED_BY } from '../constants.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, checkName } from './api-object.ts';

export interface KargoConfigsAppProps {
  /** Git repository holding the rendered tree. */
  readonly repoURL: string;
  /** Branch or revision to follow. */
  readonly targetRevision: string;
  /** Repository-relative folder of the rendered tree. @default `kargo` */
  readonly path?: string;
  /** @default `kargo-configs` */
  readonly name?: string;
  /** @default `argocd` */
  readonly namespace?: string;
  /** Argo CD AppProject of this app. @default `default` */
  readonly project?: string;
}

/**
 * The app-of-apps over the rendered tree: Argo CD applies the Kargo objects, the AnalysisTemplates and the
 * environment Applications from Git, so nothing needs a manual `kubectl apply`. Values files and the relay's
 * routes are not manifests and are excluded.
 */
export class KargoConfigsApp extends Construct {
  readonly applicationName: string;

  constructor(scope: Construct, id: string, props: KargoConfigsAppProps) {
    super(scope, id);
    const name = props.name ?? 'kargo-configs';
    checkName('KargoConfigsApp', name);
    const path = props.path ?? 'kargo';
    if (path.startsWith('/') || path.split('/').includes('..')) throw invalidProps('KargoConfigsApp', name, `path "${path}" must be relative to the repository root`);
    this.applicationName = name;
    addManifest(this, 'Application', {
      apiVersion: ARGOCD_API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: props.namespace ?? ARGOCD_NAMESPACE, labels: { [Label.managedBy]: MANAGED_BY } },
      spec: {
        project: props.project ?? 'default',
        source: {
          repoURL: props.repoURL,
          targetRevision: props.targetRevision,
          path,
          directory: { recurse: true, exclude: '{values/*,relay/*,*/values/*,*/relay/*}' },
        },
        destination: { server: IN_CLUSTER_SERVER, namespace: props.namespace ?? ARGOCD_NAMESPACE },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    });
  }
}
