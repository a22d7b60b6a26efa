import { Construct } from 'constructs';
import type { IAppProject } from '@kargo/model';
import { ARGOCD_API_VERSION, ARGOCD_NAMESPACE, IN_CLUSTER_SERVER } from '../constants.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, checkName, compact } from './api-object.ts';

export const SyncWindowKind = { Allow: 'allow', Deny: 'deny' } as const;
export type SyncWindowKind = (typeof SyncWindowKind)[keyof typeof SyncWindowKind];

/** An Argo CD sync window (Kargo's argocd-update waits while a window blocks the sync). */
export interface SyncWindow {
  readonly kind: SyncWindowKind;
  /** Five-field cron expression of the window's start. */
  readonly schedule: string;
  /** Go duration of the window, e.g. `8h`. */
  readonly duration: string;
  /** Applications the window applies to. */
  readonly applications: readonly string[];
  /** IANA time zone of the schedule. @default Argo CD's (UTC) */
  readonly timeZone?: string;
  /** Shown in the Argo CD UI. @default none */
  readonly description?: string;
}

export interface PipelineAppProjectProps {
  /** AppProject name. */
  readonly name: string;
  /** @default `argocd` */
  readonly namespace?: string;
  /** @default none */
  readonly description?: string;
  /** Repositories the environment apps may read (Git and chart repositories). */
  readonly sourceRepos: readonly string[];
  /** Namespaces (on one cluster) the apps may deploy to. */
  readonly destinationNamespaces: readonly string[];
  /** Cluster by API URL or by Argo CD cluster name. @default in-cluster */
  readonly destination?: { readonly server?: string; readonly name?: string };
  /** @default [] */
  readonly syncWindows?: readonly SyncWindow[];
}

const CRON_FIELD = /^[\d*,/-]+$/;
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/** The Argo CD AppProject of one pipeline: what its apps may read, where they may deploy, and when. */
export class PipelineAppProject extends Construct {
  readonly projectName: string;

  constructor(scope: Construct, id: string, props: PipelineAppProjectProps) {
    super(scope, id);
    const what = 'PipelineAppProject';
    checkName(what, props.name);
    if (props.sourceRepos.length === 0) throw invalidProps(what, props.name, 'lists no source repositories');
    if (props.destinationNamespaces.length === 0) throw invalidProps(what, props.name, 'lists no destination namespaces');
    const destination = props.destination ?? { server: IN_CLUSTER_SERVER };
    const windows = props.syncWindows ?? [];
    for (const w of windows) {
      const fields = w.schedule.trim().split(/\s+/);
      if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
        throw invalidProps(what, props.name, `sync window schedule "${w.schedule}" is not a five-field cron expression`);
      }
      if (!GO_DURATION.test(w.duration)) throw invalidProps(what, props.name, `sync window duration "${w.duration}" is not a duration like 8h`);
      if (w.applications.length === 0) throw invalidProps(what, props.name, `sync window "${w.schedule}" applies to no application`);
    }
    this.projectName = props.name;
    addManifest(this, 'AppProject', {
      apiVersion: ARGOCD_API_VERSION,
      kind: 'AppProject',
      metadata: { name: props.name, namespace: props.namespace ?? ARGOCD_NAMESPACE },
      spec: compact({
        description: props.description,
        sourceRepos: [...new Set(props.sourceRepos)].sort(),
        destinations: [...new Set(props.destinationNamespaces)].sort().map((namespace) => compact({ server: destination.server, name: destination.name, namespace })),
        // CreateNamespace=true on the apps needs Namespaces to be allowed.
        clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
        namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
        syncWindows: windows.length === 0 ? undefined : windows.map((w) => compact({
          kind: w.kind,
          schedule: w.schedule,
          duration: w.duration,
          applications: [...w.applications],
          timeZone: w.timeZone,
          description: w.description,
        })),
      }) satisfies IAppProject['spec'],
    });
  }
}
