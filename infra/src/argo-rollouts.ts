// ArgoRollouts: installs Argo Rollouts (its CRDs and controller) before Kargo, for `argoRollouts=install`.
//
// Why before Kargo, and why it matters: every rendered Stage has `verification`, and `kargo-configs` syncs
// AnalysisTemplates (argoproj.io/v1alpha1). Kargo v1.11.2 decides ONCE, at start-up, whether its Rollouts
// integration is on: cmd/controlplane/controller.go (and cmd/controlplane/api.go for the API server) call
// argoRolloutsExists() (cmd/controlplane/utils.go: a List of argoproj.io/v1alpha1 analysistemplates) only when
// `controller.rollouts.integrationEnabled` / `api.rollouts.integrationEnabled` (charts/kargo/values.yaml) are
// true, and when the CRD is not found they set RolloutsIntegrationEnabled = false for the life of the process.
// Installing Rollouts after Kargo therefore leaves every verification in phase Error until Kargo restarts;
// the Kargo release depends on this component's release so Kargo's pods start with the CRDs present.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

/** The argo-helm repository the chart comes from. */
export const ARGO_ROLLOUTS_REPO = 'https://argoproj.github.io/argo-helm';
export const ARGO_ROLLOUTS_CHART = 'argo-rollouts';
/**
 * Default chart version. 2.41.0 ships Argo Rollouts v1.9.0 (`appVersion: v1.9.0` in charts/argo-rollouts/Chart.yaml
 * of argoproj/argo-helm, read from a repository snapshot: no network here). Whoever bumps it must check the exact
 * chart → app version mapping against the chart index (`helm search repo argo/argo-rollouts --versions`, or
 * https://argoproj.github.io/argo-helm/index.yaml) and keep a chart that ships Argo Rollouts v1.9.x or later.
 */
export const DEFAULT_ARGO_ROLLOUTS_VERSION = '2.41.0';

export interface ArgoRolloutsArgs {
  /** Chart version from https://argoproj.github.io/argo-helm (chart `argo-rollouts`), e.g. `2.41.0`. */
  readonly version: string;
  /** @default `argo-rollouts` */
  readonly namespace?: string;
}

export class ArgoRollouts extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: ArgoRolloutsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('kargo:infra:ArgoRollouts', name, {}, opts);
    const ns = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: args.namespace ?? 'argo-rollouts' } }, { parent: this });
    // A Release like cert-manager's and Kargo's: Helm applies the CRDs and waits for the controller to be ready,
    // so the Kargo release that depends on it starts only once the AnalysisTemplate CRD is served.
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: 'argo-rollouts',
        chart: ARGO_ROLLOUTS_CHART,
        repositoryOpts: { repo: ARGO_ROLLOUTS_REPO },
        version: args.version,
        namespace: ns.metadata.name,
        // The chart's defaults, stated: CRDs installed with the release and kept on uninstall (AnalysisRuns that
        // Kargo created survive a removal of the controller).
        values: { installCRDs: true, keepCRDs: true },
        atomic: true,
        timeout: 600,
      },
      { parent: this },
    );
    this.namespace = ns.metadata.name;
    this.registerOutputs({ namespace: this.namespace });
  }
}
