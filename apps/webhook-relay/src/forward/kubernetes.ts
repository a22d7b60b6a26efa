// Refreshes a Warehouse by merge-patching its kargo.akuity.io/refresh annotation through the Kubernetes API.
import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { resultForStatus, type ForwardResult } from './types.ts';

export const REFRESH_ANNOTATION = 'kargo.akuity.io/refresh';

export interface KubernetesForwarderOptions {
  /** Path of a kubeconfig; in-cluster service account when undefined. */
  readonly kubeconfig: string | undefined;
}

export class KubernetesForwarder {
  readonly #options: KubernetesForwarderOptions;
  #api: CustomObjectsApi | undefined;

  constructor(options: KubernetesForwarderOptions) {
    this.#options = options;
  }

  // Built on first use so a relay without kubernetes targets needs no cluster credentials.
  #client(): CustomObjectsApi {
    if (this.#api === undefined) {
      const kc = new KubeConfig();
      if (this.#options.kubeconfig === undefined) kc.loadFromCluster();
      else kc.loadFromFile(this.#options.kubeconfig);
      this.#api = kc.makeApiClient(CustomObjectsApi);
    }
    return this.#api;
  }

  async forward(target: { namespace: string; warehouse: string }, now: Date = new Date()): Promise<ForwardResult> {
    let api: CustomObjectsApi;
    try {
      api = this.#client();
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
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return { kind: 'done', status: 200 };
    } catch (cause) {
      if (cause instanceof ApiException) {
        const code = (cause as ApiException<unknown>).code;
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
