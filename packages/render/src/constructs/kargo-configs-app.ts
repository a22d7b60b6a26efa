import { Construct } from 'constructs';
import { ARGOCD_API_VERSION, ARGOCD_NAMESPACE, IN_CLUSTER_SERVER, Label, MANAGED_BY } from '../constants.ts';
import { orderKeys } from '../emit.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, checkName, type Manifest } from './api-object.ts';

export interface KargoConfigsAppProps {
  /** Git repository holding the rendered tree. */
  readonly repoURL: string;
  /** Branch or revision to follow. */
  readonly targetRevision: string;
  /** Repository-relative folder of the rendered tree. @default `kargo` */
  readonly path?: string;
  /** Namespace Argo CD runs in (the Application's namespace and its destination). @default `argocd` */
  readonly argocdNamespace?: string;
  /** Argo CD AppProject of this app. @default `default` */
  readonly project?: string;
  /** @default `kargo-configs` */
  readonly name?: string;
}

/** What Argo CD deletes first when the app is deleted: everything it synced (no orphaned Stages or apps). */
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/**
 * The `kargo-configs` Application as a plain object, keys in the order the rendered file has them. This is
 * the one definition: `kargo-env render` writes it into `argocd-apps/kargo-configs.yaml` and infra creates
 * it before the first sync. The app syncs that file too, so it manages itself; any difference between the
 * two would make Argo CD's self-heal and `pulumi up` undo each other.
 */
export function kargoConfigsApplication(props: KargoConfigsAppProps): Manifest {
  const name = props.name ?? 'kargo-configs';
  checkName('KargoConfigsApp', name);
  const path = props.path ?? 'kargo';
  if (path === '' || path.startsWith('/') || path.split('/').includes('..')) throw invalidProps('KargoConfigsApp', name, `path "${path}" must be relative to the repository root`);
  const namespace = props.argocdNamespace ?? ARGOCD_NAMESPACE;
  checkName('KargoConfigsApp namespace', namespace);
  return orderKeys({
    apiVersion: ARGOCD_API_VERSION,
    kind: 'Application',
    // Deleting the app (enableKargo=false in infra) first deletes what it synced: Projects, Stages and the
    // environment Applications, so nothing is left behind.
    metadata: { name, namespace, labels: { [Label.managedBy]: MANAGED_BY }, finalizers: [RESOURCES_FINALIZER] },
    spec: {
      project: props.project ?? 'default',
      source: {
        repoURL: props.repoURL,
        targetRevision: props.targetRevision,
        path,
        // Values files and the relay's routes are YAML but not manifests (Argo CD skips PIPELINE.md: not YAML/JSON).
        directory: { recurse: true, exclude: '{values/*,relay/*,*/values/*,*/relay/*}' },
      },
      destination: { server: IN_CLUSTER_SERVER, namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        // Kargo creates Project namespaces itself, but the environment Applications' AppProjects and any
        // namespace the tree names must not wait for someone to create it.
        syncOptions: ['CreateNamespace=true'],
        // The first sync races Kargo's admission webhooks and CRDs; retry instead of failing for good.
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
    },
  });
}

/**
 * The app-of-apps over the rendered tree: Argo CD applies the Kargo objects, the AnalysisTemplates and the
 * environment Applications from Git, so nothing needs a manual `kubectl apply`. Values files and the relay's
 * routes are not manifests and are excluded. The object is {@link kargoConfigsApplication}'s.
 */
export class KargoConfigsApp extends Construct {
  readonly applicationName: string;

  constructor(scope: Construct, id: string, props: KargoConfigsAppProps) {
    super(scope, id);
    const manifest = kargoConfigsApplication(props);
    this.applicationName = manifest.metadata.name;
    addManifest(this, 'Application', manifest);
  }
}
