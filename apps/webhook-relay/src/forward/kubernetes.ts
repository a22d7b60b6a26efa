// Refreshes a Warehouse by merge-patching its kargo.akuity.io/refresh annotation through the Kubernetes API.
import type * as K8s from '@kubernetes/client-node';
import { RelayError, RelayErrorCode } from '../errors.ts';
import { resultForStatus, type ForwardResult } from './types.ts';

type Client = { readonly api: K8s.CustomObjectsApi; readonly k8s: typeof K8s };

/**
 * Messages client-node throws for a kubeconfig it will never use, whatever the network does: retrying them for
 * 24 h would only hide the mistake. Matched by text because client-node throws plain Errors for them.
 */
const CONFIGURATION_ERRORS = [/HTTP protocol is not allowed/i, /Unsupported proxy type/i, /No active cluster/i, /Invalid URL/i, /no current (cluster|context|user)/i];

export function isConfigurationError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return CONFIGURATION_ERRORS.some((re) => re.test(message));
}

/** Why client-node would refuse every call with this kubeconfig, or undefined when it looks usable. */
export function kubeconfigProblem(kc: K8s.KubeConfig): string | undefined {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) return `no current cluster (current-context ${kc.getCurrentContext() || '(none)'})`;
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    return `cluster ${cluster.name}: server ${cluster.server} is not a URL`;
  }
  if (url.protocol === 'http:' && cluster.skipTLSVerify !== true) {
    return `cluster ${cluster.name}: server ${cluster.server} is plain http://, which @kubernetes/client-node refuses unless the cluster sets insecure-skip-tls-verify: true (better: use https://)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `cluster ${cluster.name}: server ${cluster.server} is neither http:// nor https://`;
  if (kc.getCurrentUser() === null) return `no user for current-context ${kc.getCurrentContext()}`;
  return undefined;
}

export const REFRESH_ANNOTATION = 'kargo.akuity.io/refresh';

/**
 * Loads @kubernetes/client-node and the credentials the relay uses for every Kubernetes call (Warehouse patches, the
 * sweeper's Lease): the kubeconfig at `kubeconfig`, or the in-cluster service account when undefined. Throws a
 * RelayError (InvalidConfig) for a kubeconfig client-node would refuse on every call.
 */
export async function loadKubeClient(kubeconfig: string | undefined): Promise<{ readonly kc: K8s.KubeConfig; readonly k8s: typeof K8s }> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (kubeconfig === undefined) kc.loadFromCluster();
  else kc.loadFromFile(kubeconfig);
  const problem = kubeconfigProblem(kc);
  if (problem !== undefined) throw new RelayError(RelayErrorCode.InvalidConfig, problem);
  return { kc, k8s };
}

/** Where the credentials come from, for messages. */
export function credentialSource(kubeconfig: string | undefined): string {
  return kubeconfig === undefined ? 'the in-cluster service account' : `KUBECONFIG ${kubeconfig}`;
}

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
      const loading = loadKubeClient(this.#options.kubeconfig).then(({ kc, k8s }) => ({ api: kc.makeApiClient(k8s.CustomObjectsApi), k8s }));
      // A failed load (no credentials yet) is retried on the next forward.
      loading.catch(() => {
        if (this.#api === loading) this.#api = undefined;
      });
      this.#api = loading;
    }
    return this.#api;
  }

  /**
   * Loads the credentials now (boot, when a route has a kubernetes target) so a kubeconfig client-node would
   * refuse stops the relay with a clear message instead of turning every forward into a 24 h retry loop.
   */
  async check(): Promise<void> {
    try {
      await this.#client();
    } catch (cause) {
      const source = credentialSource(this.#options.kubeconfig);
      throw new RelayError(RelayErrorCode.InvalidConfig, `kubernetes targets: cannot use ${source}: ${(cause as Error).message}`, {
        cause,
        hint: 'fix the kubeconfig (or unset KUBECONFIG inside a cluster), or remove the kubernetes targets from the routes file',
      });
    }
  }

  async forward(target: { namespace: string; warehouse: string }, now: Date = new Date()): Promise<ForwardResult> {
    let api: K8s.CustomObjectsApi;
    let k8s: typeof K8s;
    try {
      ({ api, k8s } = await this.#client());
    } catch (cause) {
      // A kubeconfig that will never work is a failure for good; missing credentials may still appear (mounts).
      if ((cause instanceof RelayError && cause.code === RelayErrorCode.InvalidConfig) || isConfigurationError(cause)) return { kind: 'failed', error: `Kubernetes client configuration: ${(cause as Error).message}` };
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
      if (isConfigurationError(err)) return { kind: 'failed', error: `Kubernetes client configuration: ${err.message}` };
      return { kind: 'retry', error: `Kubernetes API unreachable: ${err.code ?? err.name}: ${err.message}` };
    }
  }
}
