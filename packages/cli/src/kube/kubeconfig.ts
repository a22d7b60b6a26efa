// Which cluster, as whom: the user's kubeconfig read the way `@kubernetes/client-node` (and kubectl) read it —
// KUBECONFIG (a list of files, merged), else ~/.kube/config, else the in-cluster service account — with
// --context choosing another context. The result is what one HTTP request needs: the server URL, TLS material
// and the Authorization header (client-node runs exec and auth-provider plugins for us).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { CliError, CliErrorCode } from '../errors.ts';

/** What every request to the API server carries. */
export interface KubeConnection {
  /** The API server's base URL, without a trailing slash (`https://10.0.0.1:6443`). */
  readonly server: string;
  /** The context whose cluster and user these are. */
  readonly context: string;
  /** The cluster's name in the kubeconfig. */
  readonly cluster: string;
  /** Headers every request sends (Authorization, Impersonate-User). */
  readonly headers: Readonly<Record<string, string>>;
  /** TLS options for https servers (ca, cert, key, rejectUnauthorized, servername). */
  readonly tls: {
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly rejectUnauthorized?: boolean;
    readonly servername?: string;
  };
  /** Where the configuration came from, for messages (`KUBECONFIG=/path`, `~/.kube/config`, `in-cluster`). */
  readonly source: string;
}

export interface KubeconfigOptions {
  /** `--context`: a context of the kubeconfig other than its current-context. */
  readonly context?: string;
}

function unreachable(message: string, hint: string, cause?: unknown): CliError {
  return new CliError(CliErrorCode.ClusterUnreachable, message, { hint, ...(cause === undefined ? {} : { cause }) });
}

/** Loads the kubeconfig from the environment given (not `process.env`, so tests and the bin agree). */
async function load(env: Readonly<Record<string, string | undefined>>): Promise<{ kc: KubeConfig; source: string }> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const list = env['KUBECONFIG'];
  try {
    if (list !== undefined && list !== '') {
      // As client-node's loadFromDefault: the first file is the base, later ones are merged into it.
      const files = list.split(delimiter).filter((f) => f !== '');
      const present = files.filter((f) => existsSync(f));
      if (present.length === 0) throw unreachable(`KUBECONFIG names no file that exists (${files.join(delimiter)})`, 'point KUBECONFIG at your kubeconfig file, or unset it to use ~/.kube/config');
      kc.loadFromFile(present[0] as string);
      for (const file of present.slice(1)) {
        const next = new k8s.KubeConfig();
        next.loadFromFile(file);
        kc.mergeConfig(next);
      }
      return { kc, source: `KUBECONFIG=${list}` };
    }
    const home = env['HOME'] ?? env['USERPROFILE'] ?? homedir();
    const file = join(home, '.kube', 'config');
    if (existsSync(file)) {
      kc.loadFromFile(file);
      return { kc, source: file };
    }
    if (env['KUBERNETES_SERVICE_HOST'] !== undefined && env['KUBERNETES_SERVICE_PORT'] !== undefined) {
      kc.loadFromCluster();
      return { kc, source: 'the in-cluster service account' };
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw unreachable(`cannot read the kubeconfig: ${(error as Error).message}`, 'check the file named by KUBECONFIG (or ~/.kube/config) with `kubectl config view`', error);
  }
  throw unreachable(`no kubeconfig: KUBECONFIG is unset and ${file(env)} does not exist`, 'set KUBECONFIG to your kubeconfig file (or run inside the cluster)');
}

const file = (env: Readonly<Record<string, string | undefined>>): string => join(env['HOME'] ?? homedir(), '.kube', 'config');

/** The connection for the current context (or `--context`); every problem is a ClusterUnreachable (exit 2). */
export async function kubeConnection(env: Readonly<Record<string, string | undefined>>, options: KubeconfigOptions = {}): Promise<KubeConnection> {
  const { kc, source } = await load(env);
  if (options.context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(options.context)) {
      throw unreachable(`--context ${options.context}: no such context in ${source}`, names.length === 0 ? 'the kubeconfig has no contexts' : `contexts are: ${names.join(', ')}`);
    }
    kc.setCurrentContext(options.context);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw unreachable(`no cluster for context ${JSON.stringify(context)} in ${source}`, 'choose a context with --context, or `kubectl config use-context <name>`');
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch (error) {
    throw unreachable(`cluster ${cluster.name}: server ${JSON.stringify(cluster.server)} is not a URL`, `fix clusters[].cluster.server in ${source}`, error);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw unreachable(`cluster ${cluster.name}: server ${cluster.server} is neither https:// nor http://`, `fix clusters[].cluster.server in ${source}`);
  // client-node fills TLS material and runs the user's auth (token, exec plugin, client certificate).
  const opts: { headers?: Record<string, string>; ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string; auth?: string } = {};
  try {
    await kc.applyToHTTPSOptions(opts as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
  } catch (error) {
    throw unreachable(`cannot authenticate as the user of context ${context}: ${(error as Error).message}`, 'run the same command with kubectl to see the credential plugin error', error);
  }
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth !== undefined) headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    context,
    cluster: cluster.name,
    headers,
    tls: {
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      ...(opts.cert === undefined ? {} : { cert: opts.cert }),
      ...(opts.key === undefined ? {} : { key: opts.key }),
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
      ...(opts.servername === undefined ? {} : { servername: opts.servername }),
    },
    source,
  };
}
