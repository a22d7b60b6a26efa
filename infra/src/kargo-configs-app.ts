// KargoConfigsApp: the Argo CD app-of-apps `kargo-configs` that syncs the rendered kargo/ tree from Git.
import { kargoConfigsApplication, type KargoConfigsAppProps } from '@kargo/render';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

export interface KargoConfigsAppArgs extends Omit<KargoConfigsAppProps, 'name'> {
  /** Resources Argo CD's sync needs first (the Kargo release: its CRDs and admission webhooks). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Creates the Application so the first sync needs no manual step. The object is @kargo/render's, the same
 * one `kargo-env render` commits to argocd-apps/kargo-configs.yaml: the app syncs that file too, so any
 * difference would make Argo CD's self-heal and `pulumi up` undo each other on every run.
 */
export class KargoConfigsApp extends pulumi.ComponentResource {
  readonly applicationName: pulumi.Output<string>;

  constructor(name: string, args: KargoConfigsAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super('kargo:infra:KargoConfigsApp', name, {}, opts);
    const { dependsOn, ...props } = args;
    const app = new k8s.apiextensions.CustomResource(name, kargoConfigsApplication(props), { parent: this, dependsOn: dependsOn ?? [] });
    this.applicationName = app.metadata.name;
    this.registerOutputs({ applicationName: this.applicationName });
  }
}
