import { posix } from 'node:path';
import { Construct } from 'constructs';
import type { IApplication } from '@kargo/model';
import { ARGOCD_API_VERSION, ARGOCD_NAMESPACE, Annotation, IN_CLUSTER_SERVER, Label, MANAGED_BY, authorizedStageValue } from '../constants.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, checkName, compact } from './api-object.ts';

/** Where the Helm chart comes from: a folder of a Git repository, or a Helm (HTTP or OCI) repository. */
export type ChartLocation =
  | { readonly path: string; readonly repoURL?: string; readonly targetRevision?: string }
  | { readonly repoURL: string; readonly chart?: string; readonly version: string };

export interface EnvironmentApplicationProps {
  /** Application name (`<app>-<env><suffix>`). */
  readonly name: string;
  /** Namespace Argo CD runs in. @default `argocd` */
  readonly namespace?: string;
  /** Argo CD AppProject. */
  readonly project: string;
  /** Kargo Project and Stage allowed to update this Application. */
  readonly kargoProject: string;
  readonly stage: string;
  /** Git repository and revision holding the values file. */
  readonly valuesRepoURL: string;
  readonly targetRevision: string;
  /** Repository-relative path of this environment's values file. */
  readonly valuesPath: string;
  /** The chart; a Git path is read from `valuesRepoURL` unless it names its own repoURL. */
  readonly chart: ChartLocation;
  /** Helm release name (keeps Service names predictable across environments). @default the app name Helm derives */
  readonly releaseName?: string;
  /** Namespace to deploy into (created by the sync). */
  readonly destinationNamespace: string;
  /** Cluster by API URL or by Argo CD cluster name. @default `{ server: https://kubernetes.default.svc }` */
  readonly destination?: { readonly server?: string; readonly name?: string };
}

/**
 * The Argo CD Application of one environment. Kargo's argocd-update may touch it only because of the
 * authorized-stage annotation; automated sync with prune and self-heal keeps the cluster on what Git says.
 */
export class EnvironmentApplication extends Construct {
  readonly applicationName: string;

  constructor(scope: Construct, id: string, props: EnvironmentApplicationProps) {
    super(scope, id);
    const what = 'EnvironmentApplication';
    checkName(what, props.name);
    checkName(`${what} destination namespace`, props.destinationNamespace);
    if (props.valuesPath.startsWith('/') || props.valuesPath.split('/').includes('..')) {
      throw invalidProps(what, props.name, `values path "${props.valuesPath}" must be relative to the repository root`);
    }
    const destination = props.destination ?? { server: IN_CLUSTER_SERVER };
    if ((destination.server === undefined) === (destination.name === undefined)) {
      throw invalidProps(what, props.name, 'the destination needs exactly one of server and name');
    }
    this.applicationName = props.name;

    const helm = (valueFiles: string[]) => compact({ releaseName: props.releaseName, valueFiles });
    const chart = props.chart;
    const source: Record<string, unknown> = {};
    if ('path' in chart && (chart.repoURL === undefined || chart.repoURL === props.valuesRepoURL)) {
      // Chart and values share a repository: one source, the values file relative to the chart folder.
      if (chart.path.startsWith('/') || chart.path.split('/').includes('..')) {
        throw invalidProps(what, props.name, `chart path "${chart.path}" must be relative to the repository root`);
      }
      source.source = {
        repoURL: props.valuesRepoURL,
        targetRevision: chart.targetRevision ?? props.targetRevision,
        path: chart.path,
        helm: helm([posix.relative(chart.path, props.valuesPath)]),
      };
    } else {
      // The chart lives elsewhere: the Git repository joins as a `values` ref source.
      const chartSource = 'path' in chart
        ? { repoURL: chart.repoURL, targetRevision: chart.targetRevision ?? 'HEAD', path: chart.path }
        : compact({ repoURL: chart.repoURL, chart: chart.chart, targetRevision: chart.version });
      source.sources = [
        { ...chartSource, helm: helm([`$values/${props.valuesPath}`]) },
        { repoURL: props.valuesRepoURL, targetRevision: props.targetRevision, ref: 'values' },
      ];
    }
    addManifest(this, 'Application', {
      apiVersion: ARGOCD_API_VERSION,
      kind: 'Application',
      metadata: {
        name: props.name,
        namespace: props.namespace ?? ARGOCD_NAMESPACE,
        labels: { [Label.managedBy]: MANAGED_BY },
        annotations: { [Annotation.authorizedStage]: authorizedStageValue(props.kargoProject, props.stage) },
      },
      spec: {
        project: props.project,
        ...(source as Pick<IApplication['spec'], 'source' | 'sources'>),
        destination: compact({ server: destination.server, name: destination.name, namespace: props.destinationNamespace }),
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=true'],
        },
      } satisfies IApplication['spec'],
    });
  }
}
