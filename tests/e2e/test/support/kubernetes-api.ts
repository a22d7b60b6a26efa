// A loopback Kubernetes API server for the one call the relay makes: JSON merge-patch of a Warehouse's refresh
// annotation. It holds real Warehouse objects, applies the patch (RFC 7386) and answers like the API server does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REFRESH_ANNOTATION = 'kargo.akuity.io/refresh';
const WAREHOUSE_PATH = /^\/apis\/kargo\.akuity\.io\/v1alpha1\/namespaces\/([^/]+)\/warehouses\/([^/]+)$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MERGE_PATCH = 'application/merge-patch+json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly status: number;
}

export interface AppliedPatch {
  readonly namespace: string;
  readonly name: string;
  /** The annotation value the relay set. */
  readonly refresh: string;
  readonly at: number;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key] ?? null, value);
  }
  return result;
}

function status(code: number, reason: string, message: string, details?: JsonObject): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details === undefined ? {} : { details }), code });
}

/** Exactly `{metadata:{annotations:{"kargo.akuity.io/refresh": <RFC 3339>}}}`: the relay may touch nothing else. */
function refreshOnly(patch: Json): string | undefined {
  if (!isObject(patch) || Object.keys(patch).join() !== 'metadata') return undefined;
  const metadata = patch.metadata;
  if (!isObject(metadata) || Object.keys(metadata).join() !== 'annotations') return undefined;
  const annotations = metadata.annotations;
  if (!isObject(annotations) || Object.keys(annotations).join() !== REFRESH_ANNOTATION) return undefined;
  const value = annotations[REFRESH_ANNOTATION];
  return typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

export class KubernetesApiPeer {
  /** The service-account token the kubeconfig carries; anything else is 401. */
  readonly token = `e2e-${Math.random().toString(36).slice(2)}`;
  readonly requests: RecordedRequest[] = [];
  readonly patches: AppliedPatch[] = [];
  readonly #objects = new Map<string, JsonObject>();
  #resourceVersion = 1000;
  #server: Server | undefined;
  #port = 0;

  /** Seeds the store with Warehouse objects (e.g. the rendered kargo/warehouse.yaml). */
  constructor(warehouses: readonly unknown[]) {
    for (const w of warehouses) this.create(w);
  }

  /** Stores a Warehouse, as `kubectl apply` (or Argo CD syncing kargo/) would create it. */
  create(warehouse: unknown): void {
    const w = warehouse;
    if (!isObject(w) || w.kind !== 'Warehouse' || w.apiVersion !== 'kargo.akuity.io/v1alpha1' || !isObject(w.metadata)) {
      throw new Error('KubernetesApiPeer stores kargo.akuity.io/v1alpha1 Warehouses only');
    }
    const { name, namespace } = w.metadata;
    if (typeof name !== 'string' || typeof namespace !== 'string') throw new Error('a Warehouse needs metadata.name and metadata.namespace');
    const stored = structuredClone(w);
    (stored.metadata as JsonObject).resourceVersion = String(this.#resourceVersion++);
    (stored.metadata as JsonObject).generation = 1;
    this.#objects.set(`${namespace}/${name}`, stored);
  }

  /** Removes a Warehouse (`kubectl delete warehouse`); returns what was stored. */
  delete(namespace: string, name: string): JsonObject | undefined {
    const o = this.#objects.get(`${namespace}/${name}`);
    this.#objects.delete(`${namespace}/${name}`);
    return o;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The stored object, as a GET would return it. */
  warehouse(namespace: string, name: string): JsonObject | undefined {
    const o = this.#objects.get(`${namespace}/${name}`);
    return o === undefined ? undefined : structuredClone(o);
  }

  /** Listens on a free port the first time, on the same port after a {@link close} (the cluster came back). */
  async listen(): Promise<string> {
    const server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this.url;
  }

  /** Stops answering; open keep-alive connections are cut, as when the API server goes away. */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A kubeconfig for this server with the bearer token; returns its path. */
  writeKubeconfig(dir: string): string {
    const file = join(dir, 'kubeconfig.yaml');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      // @kubernetes/client-node speaks plain http only with TLS verification switched off; loopback only.
      clusters: [{ name: 'e2e', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'webhook-relay', user: { token: this.token } }],
      contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'webhook-relay', namespace: 'default' } }],
      'current-context': 'e2e',
    };
    writeFileSync(file, JSON.stringify(config, null, 2)); // JSON is YAML
    return file;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? '';
      const path = (req.url ?? '').split('?')[0] ?? '';
      const contentType = req.headers['content-type'];
      const reply = (code: number, body: string): void => {
        this.requests.push({ method, path, contentType, status: code });
        res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' }).end(body);
      };
      if (req.headers.authorization !== `Bearer ${this.token}`) return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
      const m = WAREHOUSE_PATH.exec(path);
      if (m === null) return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      const [, namespace = '', name = ''] = m;
      if (method !== 'PATCH') return reply(405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
      if ((contentType ?? '').split(';')[0]?.trim().toLowerCase() !== MERGE_PATCH) {
        return reply(
          415,
          status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${MERGE_PATCH}`),
        );
      }
      const key = `${namespace}/${name}`;
      const stored = this.#objects.get(key);
      if (stored === undefined) {
        return reply(404, status(404, 'NotFound', `warehouses.kargo.akuity.io "${name}" not found`, { name, group: 'kargo.akuity.io', kind: 'warehouses' }));
      }
      let patch: Json;
      try {
        patch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      } catch {
        return reply(400, status(400, 'BadRequest', 'error decoding patch: invalid JSON'));
      }
      const refresh = refreshOnly(patch);
      if (refresh === undefined) {
        return reply(422, status(422, 'Invalid', `Warehouse.kargo.akuity.io "${name}" is invalid: the relay may set only metadata.annotations["${REFRESH_ANNOTATION}"] to an RFC 3339 time`));
      }
      const patched = applyMergePatch(stored, patch) as JsonObject;
      // Metadata-only changes bump resourceVersion, not generation.
      (patched.metadata as JsonObject).resourceVersion = String(this.#resourceVersion++);
      this.#objects.set(key, patched);
      this.patches.push({ namespace, name, refresh, at: Date.now() });
      return reply(200, JSON.stringify(patched));
    });
  }
}
