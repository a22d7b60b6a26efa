// CertManager: installs cert-manager (with its CRDs) for clusters that have none (`certManager=install`).
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

export interface CertManagerArgs {
  /** Chart version from https://charts.jetstack.io, e.g. `v1.19.1`. */
  readonly version: string;
  /** @default `cert-manager` */
  readonly namespace?: string;
}

export class CertManager extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('kargo:infra:CertManager', name, {}, opts);
    const ns = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: args.namespace ?? 'cert-manager' } }, { parent: this });
    // A Release (not a v4 Chart) for the same reason as Kargo's: Helm applies the CRDs, then waits.
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: 'cert-manager',
        chart: 'cert-manager',
        repositoryOpts: { repo: 'https://charts.jetstack.io' },
        version: args.version,
        namespace: ns.metadata.name,
        values: { crds: { enabled: true } },
        atomic: true,
        timeout: 600,
      },
      { parent: this },
    );
    this.namespace = ns.metadata.name;
    this.registerOutputs({ namespace: this.namespace });
  }
}
