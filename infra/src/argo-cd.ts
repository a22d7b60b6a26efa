// Argo CD is a prerequisite the program does not install: it reads Argo CD's Application CRD at preview and up,
// so a cluster without Argo CD stops the program before Kargo is installed.
import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { InfraErrorCode, KargoInfraError } from './errors.ts';

/** The CRD of Argo CD's Application kind, which `kargo-configs` and every environment Application use. */
export const ARGOCD_APPLICATIONS_CRD = 'applications.argoproj.io';

interface CrdSpec {
  readonly group?: string;
  readonly names?: { readonly kind?: string };
  readonly versions?: readonly { readonly name?: string; readonly served?: boolean }[];
}

/**
 * Checks that a CRD spec is Argo CD's Application (`argoproj.io/v1alpha1`, served). Throws a KargoInfraError
 * (`KARGO_INFRA_ARGOCD_MISSING`) otherwise.
 */
export function checkArgoCdApplicationsCrd(spec: CrdSpec | undefined): void {
  const served = spec?.versions?.some((v) => v.name === 'v1alpha1' && v.served === true) ?? false;
  if (spec?.group !== 'argoproj.io' || spec.names?.kind !== 'Application' || !served) {
    throw new KargoInfraError(InfraErrorCode.ArgoCdMissing, `the cluster's ${ARGOCD_APPLICATIONS_CRD} CRD does not serve argoproj.io/v1alpha1 Application, so Argo CD cannot run kargo-configs`, {
      hint: 'install Argo CD (README "Prerequisites") before `pulumi up`',
    });
  }
}

/**
 * Reads `applications.argoproj.io` from the cluster (a `CustomResourceDefinition.get`, done by the provider at
 * preview and up). When the CRD is absent the read itself fails — the engine reports
 * `resource 'applications.argoproj.io' does not exist` on the resource named `name` — before anything that
 * depends on it (the Kargo release, `kargo-configs`) is created. When it exists, its spec is checked
 * (checkArgoCdApplicationsCrd). The result is the read CRD once checked: give it to `dependsOn`, so what depends
 * on it waits for the check, and fails with its error.
 */
export function requireArgoCd(name: string, opts: pulumi.CustomResourceOptions = {}): pulumi.Output<pulumi.Resource> {
  const crd = k8s.apiextensions.v1.CustomResourceDefinition.get(name, ARGOCD_APPLICATIONS_CRD, opts);
  // The callback returns the resource itself (not an Output, so not flattened), which is what dependsOn takes.
  return crd.spec.apply((spec) => {
    checkArgoCdApplicationsCrd(spec);
    return crd;
  });
}
