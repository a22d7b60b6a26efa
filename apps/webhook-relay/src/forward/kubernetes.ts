// Refreshes a Warehouse by merge-patching its kargo.akuity.io/refresh annotation through the Kubernetes API.
import type * as K8s from '@kubernetes/client-node';

type Client = { readonly api: K8s.CustomObjectsApi; readonly k8s: typeof K8s };
import { resultForStatus, type ForwardResult } from './types.ts';

export const REFRESH_ANNOTATION = 'kargo.akuity.io/refresh';

export interface KubernetesForwarderOptions {
  /** Path of a kubeconfig; in-cluster service account when undefined. */
  readonly kubeconfig: string | undefined;
}

export class KubernetesForwarder {
  readonly #options: KubernetesForwarderOptions;
  #api: Promise<Client> | undefined;

  constructor(options: KubernetesForwarderOptions) {
    this.#options = options;
  }

  /**
   * Built on first use, so a relay without kubernetes targets needs no cluster credentials — and never loads
   * @kubernetes/client-node, which alone adds ~90 MB of RSS and a second of startup.
   */
  #client(): Promise<Client> {
    if (this.#api === undefined) {
      const loading = import('@kubernetes/client-node').then((k8s) => {
        const kc = new k8s.KubeConfig();
        if (this.#options.kubeconfig === undefined) kc.loadFromCluster();
        else kc.loadFromFile(this.#options.kubeconfig);
        return { api: kc.makeApiClient(k8s.CustomObjectsApi), k8s };
      });
      // A failed load (no credentials yet) is retried on the next forward.
      loading.catch(() => {
        if (this.#api === loading) this.#api = undefined;
      });
      this.#api = loading;
    }
    return this.#api;
  }

  async forward(target: { namespace: string; warehouse: string }, now: Date = new Date()): Promise<ForwardResult> {
    let api: K8s.CustomObjectsApi;
    let k8s: typeof K8s;
    try {
      ({ api, k8s } = await this.#client());
    } catch (cause) {
      return { kind: 'retry', error: `no Kubernetes credentials: ${(cause as Error).message}` };
    }
    try {
      await api.patchNamespacedCustomObject(
        {
          group: 'kargo.akuity.io',
          version: 'v1alpha1',
          namespace: target.namespace,
          plural: 'warehouses',
          name: target.warehouse,
          body: { metadata: { annotations: { [REFRESH_ANNOTATION]: now.toISOString() } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      return { kind: 'done', status: 200 };
    } catch (cause) {
      if (cause instanceof k8s.ApiException) {
        const code = (cause as InstanceType<typeof k8s.ApiException<unknown>>).code;
        if (code === 404) {
          return { kind: 'failed', status: 404, error: `Warehouse ${target.namespace}/${target.warehouse} not found (or the Warehouse CRD is not installed)` };
        }
        return resultForStatus(code, `Kubernetes API (Warehouse ${target.namespace}/${target.warehouse})`);
      }
      const err = cause as Error & { code?: string };
      return { kind: 'retry', error: `Kubernetes API unreachable: ${err.code ?? err.name}: ${err.message}` };
    }
  }
}
