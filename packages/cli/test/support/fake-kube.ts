// A Kubernetes API server on 127.0.0.1 for the cluster commands' tests, speaking the wire protocol the way
// kube-apiserver does for what kargo-env uses:
// - discovery: /version, /api, /api/v1, /apis, /apis/<group>/<version>; custom resources are served only while
//   their CustomResourceDefinition exists (and only the versions it marks served), as the apiextensions server does;
// - get, list (labelSelector, fieldSelector metadata.name/metadata.namespace), metadata-only lists and gets
//   (Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1), create with generateName
//   (5 random characters from the apimachinery alphabet), 409 AlreadyExists;
// - watch (?watch=1): one JSON event per line from a resourceVersion on (ADDED for every object when none is
//   given), 410 Gone for a resourceVersion older than the retained history, the server ending the call after
//   timeoutSeconds;
// - 401 without the bearer token, 403 and 404 as Status objects with the API server's messages;
// - the service and pod proxies (/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/<path>,
//   /api/v1/namespaces/<ns>/pods/<name>[:<port>]/proxy/<path>), with RBAC on services/proxy and pods/proxy, and a
//   backend the API server cannot dial answered as k8s.io/apimachinery pkg/util/proxy/transport.go does: 503
//   ServiceUnavailable, "error trying to reach service: <dial error>".
// Tests change objects with put() (ADDED/MODIFIED events, resourceVersion bumped) and hook creates (admission).
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string; uid?: string; creationTimestamp?: string; [k: string]: unknown };
  [key: string]: unknown;
}

interface Resource {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

const BUILT_IN: readonly Resource[] = [
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true },
  { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', singular: 'customresourcedefinition', kind: 'CustomResourceDefinition', namespaced: false },
];

export interface Forbid {
  readonly verb: 'get' | 'list' | 'watch' | 'create';
  readonly group: string;
  /** A resource, or a proxy subresource: `services/proxy`, `pods/proxy`. */
  readonly plural: string;
  readonly namespace?: string;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly accept: string | undefined;
  readonly status: number;
  /** Whether a Secret's full object (with data) was in the answer. */
  readonly secretData: boolean;
}

export type CreateHook = (obj: Obj, server: FakeKube) => Obj | { status: number; reason: string; message: string };
export interface ProxyAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}
/** A proxied backend: its answer, or `unreachable` with the dial error the API server would report. */
export type ProxyHandler = (path: string) => ProxyAnswer | { readonly unreachable: string } | Promise<ProxyAnswer | { readonly unreachable: string }>;

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** How many events watches can resume from; older resourceVersions get 410 Gone. */
const HISTORY = 1000;

function status(code: number, reason: string, message: string, details: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

function groupResourceName(r: Resource): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`;
}

function matchesLabels(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((term) => {
    const neq = term.split('!=');
    if (neq.length === 2) return labels?.[neq[0] as string] !== neq[1];
    const [k, v] = term.split('=') as [string, string | undefined];
    return v === undefined ? labels?.[k] !== undefined : labels?.[k] === v;
  });
}

function matchesFields(obj: Obj, selector: string | null): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=') as [string, string];
    if (k === 'metadata.name') return obj.metadata.name === v;
    if (k === 'metadata.namespace') return obj.metadata.namespace === v;
    throw new Error(`field label not supported: ${k}`);
  });
}

interface Watcher {
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly labelSelector: string | null;
  readonly fieldSelector: string | null;
  readonly res: ServerResponse;
}

export class FakeKube {
  readonly token: string;
  readonly user: string;
  readonly requests: RequestRecord[] = [];
  forbid: Forbid[] = [];
  readonly createHooks = new Map<string, CreateHook>();
  readonly proxies = new Map<string, ProxyHandler>();
  readonly #objects = new Map<string, Obj>();
  readonly #events: { rv: number; type: string; resource: Resource; object: Obj }[] = [];
  readonly #watchers = new Set<Watcher>();
  #rv = 1000;
  #server: Server | undefined;
  url = '';

  constructor(options: { token?: string; user?: string } = {}) {
    this.token = options.token ?? 'test-token';
    this.user = options.user ?? 'dev@example.com';
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** A kubeconfig (YAML text) for this server with the bearer token (`insecure-skip-tls-verify`: client-node's condition for http://). */
  kubeconfig(context = 'fake'): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      `current-context: ${context}`,
      'clusters:',
      `- name: ${context}-cluster`,
      '  cluster:',
      `    server: ${this.url}`,
      // @kubernetes/client-node refuses a plain http:// server unless TLS verification is explicitly off.
      '    insecure-skip-tls-verify: true',
      'contexts:',
      `- name: ${context}`,
      '  context:',
      `    cluster: ${context}-cluster`,
      `    user: ${context}-user`,
      'users:',
      `- name: ${context}-user`,
      '  user:',
      `    token: ${this.token}`,
      '',
    ].join('\n');
  }

  /** Every resource served now: the built-in ones and each served version of each stored CRD. */
  resources(): Resource[] {
    const custom: Resource[] = [];
    for (const crd of this.list('apiextensions.k8s.io', 'customresourcedefinitions')) {
      const spec = crd['spec'] as { group: string; names: { plural: string; singular?: string; kind: string }; scope: string; versions: { name: string; served: boolean }[] };
      for (const v of spec.versions.filter((x) => x.served)) {
        custom.push({ group: spec.group, version: v.name, plural: spec.names.plural, singular: spec.names.singular ?? spec.names.kind.toLowerCase(), kind: spec.names.kind, namespaced: spec.scope === 'Namespaced' });
      }
    }
    return [...BUILT_IN, ...custom];
  }

  #resourceOf(obj: Obj): Resource {
    const [group, version] = obj.apiVersion.includes('/') ? (obj.apiVersion.split('/') as [string, string]) : ['', obj.apiVersion];
    const r = [...BUILT_IN, ...this.resources()].find((x) => x.group === group && x.version === version && x.kind === obj.kind);
    if (r === undefined) throw new Error(`fake-kube: no resource for ${obj.apiVersion} ${obj.kind} (is its CRD stored?)`);
    return r;
  }

  #key(r: Resource, namespace: string | undefined, name: string): string {
    return `${r.group}/${r.plural}/${r.namespaced ? (namespace ?? '') : ''}/${name}`;
  }

  /** Creates or replaces an object (a controller's write); returns it with its new resourceVersion. */
  put(input: Obj): Obj {
    const r = this.#resourceOf(input);
    const key = this.#key(r, input.metadata.namespace, input.metadata.name as string);
    const existing = this.#objects.get(key);
    this.#rv += 1;
    const obj: Obj = structuredClone({
      ...input,
      metadata: {
        ...input.metadata,
        uid: existing?.metadata.uid ?? input.metadata.uid ?? `uid-${this.#rv}`,
        creationTimestamp: existing?.metadata.creationTimestamp ?? input.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        resourceVersion: String(this.#rv),
      },
    });
    this.#objects.set(key, obj);
    this.#emit(existing === undefined ? 'ADDED' : 'MODIFIED', r, obj);
    return structuredClone(obj);
  }

  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const r = this.#resourceOf({ apiVersion, kind, metadata: {} });
    const key = this.#key(r, namespace, name);
    const existing = this.#objects.get(key);
    if (existing === undefined) return;
    this.#objects.delete(key);
    this.#rv += 1;
    this.#emit('DELETED', r, { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.#rv) } });
  }

  get(group: string, plural: string, namespace: string | undefined, name: string): Obj | undefined {
    for (const [key, obj] of this.#objects) if (key === `${group}/${plural}/${namespace ?? ''}/${name}`) return structuredClone(obj);
    return undefined;
  }

  list(group: string, plural: string, namespace?: string): Obj[] {
    return [...this.#objects.entries()].filter(([key, obj]) => key.startsWith(`${group}/${plural}/`) && (namespace === undefined || obj.metadata.namespace === namespace)).map(([, obj]) => structuredClone(obj));
  }

  #emit(type: string, resource: Resource, object: Obj): void {
    this.#events.push({ rv: this.#rv, type, resource, object: structuredClone(object) });
    if (this.#events.length > HISTORY) this.#events.shift();
    for (const w of this.#watchers) this.#send(w, type, resource, object);
  }

  #send(w: Watcher, type: string, resource: Resource, object: Obj): void {
    if (w.resource.group !== resource.group || w.resource.plural !== resource.plural) return;
    if (w.namespace !== undefined && object.metadata.namespace !== w.namespace) return;
    if (!matchesLabels(object.metadata.labels, w.labelSelector) || !matchesFields(object, w.fieldSelector)) return;
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  #forbidden(verb: Forbid['verb'], r: Resource, namespace: string | undefined): boolean {
    return this.forbid.some((f) => f.verb === verb && f.group === r.group && f.plural === r.plural && (f.namespace === undefined || f.namespace === namespace));
  }

  #reply(req: IncomingMessage, res: ServerResponse, code: number, body: unknown, secretData = false): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    this.requests.push({ method: req.method ?? 'GET', path: req.url ?? '', accept: req.headers.accept, status: code, secretData });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        this.#route(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        this.#reply(req, res, 500, status(500, 'InternalError', `fake-kube: ${(error as Error).message}`));
      }
    });
  }

  #route(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '');
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.#reply(req, res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (path === '/version') return this.#reply(req, res, 200, { major: '1', minor: '33', gitVersion: 'v1.33.1', platform: 'linux/amd64' });
    if (path === '/api') return this.#reply(req, res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    const resources = this.resources();
    if (path === '/apis') {
      const groups = new Map<string, string[]>();
      for (const r of resources.filter((x) => x.group !== '')) groups.set(r.group, [...new Set([...(groups.get(r.group) ?? []), r.version])]);
      return this.#reply(req, res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups].map(([name, versions]) => ({ name, versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })), preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] } })),
      });
    }
    const proxy = /^\/api\/v1\/namespaces\/([^/]+)\/(services|pods)\/([^/:]+)(?::([^/]+))?\/proxy(\/.*)?$/.exec(path);
    if (proxy !== null) {
      const [, ns, kind, name, port, rest] = proxy as unknown as [string, 'services' | 'pods', string, string, string | undefined, string | undefined];
      const subresource = `${kind}/proxy`;
      if (this.forbid.some((f) => f.verb === 'get' && f.group === '' && f.plural === subresource && (f.namespace === undefined || f.namespace === ns))) {
        return this.#reply(req, res, 403, status(403, 'Forbidden', `${kind} "${name}${port === undefined ? '' : `:${port}`}" is forbidden: User "${this.user}" cannot get resource "${kind}/proxy" in API group "" in the namespace "${ns}"`, { name, kind }));
      }
      if (this.get('', kind, ns, name) === undefined) return this.#reply(req, res, 404, status(404, 'NotFound', `${kind} "${name}" not found`, { name, kind }));
      const handler = this.proxies.get(`${ns}/${kind === 'pods' ? 'pod/' : ''}${name}:${port ?? ''}`);
      if (handler === undefined) return this.#reply(req, res, 503, status(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`));
      void Promise.resolve(handler(rest ?? '/')).then(
        (answer) => {
          if ('unreachable' in answer) return this.#reply(req, res, 503, status(503, 'ServiceUnavailable', `error trying to reach service: ${answer.unreachable}`));
          res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'text/plain' });
          res.end(answer.body);
          this.requests.push({ method: 'GET', path: req.url ?? '', accept: req.headers.accept, status: answer.status, secretData: false });
        },
        (error: unknown) => this.#reply(req, res, 503, status(503, 'ServiceUnavailable', `error trying to reach service: ${(error as Error).message}`)),
      );
      return;
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
    if (m === null) return this.#reply(req, res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const [, coreVersion, group = '', groupVersion, nsPart, pluralPart, name] = m;
    // `/api/v1/namespaces/<name>` is the Namespace object itself, not a namespace's resource list.
    const isNamespace = nsPart !== undefined && pluralPart === undefined;
    const namespace = isNamespace ? undefined : nsPart;
    const plural = isNamespace ? 'namespaces' : pluralPart;
    const objectName = isNamespace ? nsPart : name;
    const version = coreVersion ?? (groupVersion);
    if (plural === undefined) {
      const served = resources.filter((r) => r.group === group && r.version === version);
      if (served.length === 0) return this.#reply(req, res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return this.#reply(req, res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group === '' ? version : `${group}/${version}`,
        resources: served.map((r) => ({ name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })),
      });
    }
    const r = resources.find((x) => x.group === group && x.version === version && x.plural === plural);
    if (r === undefined || (namespace !== undefined && !r.namespaced)) return this.#reply(req, res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const accept = req.headers.accept ?? '';
    const metadataOnly = accept.includes('as=PartialObjectMetadata');
    const gr = groupResourceName(r);
    const verb: Forbid['verb'] = req.method === 'POST' ? 'create' : objectName !== undefined ? 'get' : url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true' ? 'watch' : 'list';
    if (this.#forbidden(verb, r, namespace)) {
      const where = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      return this.#reply(
        req,
        res,
        403,
        status(403, 'Forbidden', `${gr}${objectName === undefined ? '' : ` "${objectName}"`} is forbidden: User "${this.user}" cannot ${verb} resource "${r.plural}" in API group "${r.group}" ${where}`, { ...(objectName === undefined ? {} : { name: objectName }), group: r.group, kind: r.plural }),
      );
    }
    if (req.method === 'POST') return this.#create(req, res, r, namespace, body);
    if (verb === 'get') {
      const obj = this.get(r.group, r.plural, r.namespaced ? namespace : undefined, objectName as string);
      if (obj === undefined) return this.#reply(req, res, 404, status(404, 'NotFound', `${gr} "${objectName}" not found`, { name: objectName, group: r.group, kind: r.plural }));
      if (metadataOnly) return this.#reply(req, res, 200, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
      return this.#reply(req, res, 200, obj, r.plural === 'secrets');
    }
    const labelSelector = url.searchParams.get('labelSelector');
    const fieldSelector = url.searchParams.get('fieldSelector');
    if (verb === 'watch') return this.#watch(req, res, r, namespace, labelSelector, fieldSelector, url.searchParams.get('resourceVersion'), Number(url.searchParams.get('timeoutSeconds') ?? '1800'));
    const items = this.list(r.group, r.plural, namespace).filter((o) => matchesLabels(o.metadata.labels, labelSelector) && matchesFields(o, fieldSelector));
    if (metadataOnly) {
      return this.#reply(req, res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: String(this.#rv) }, items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })) });
    }
    return this.#reply(req, res, 200, { kind: `${r.kind}List`, apiVersion: group === '' ? version : `${group}/${version}`, metadata: { resourceVersion: String(this.#rv) }, items }, r.plural === 'secrets' && items.length > 0);
  }

  #create(req: IncomingMessage, res: ServerResponse, r: Resource, namespace: string | undefined, body: string): void {
    let obj = JSON.parse(body) as Obj;
    obj = { ...obj, metadata: { ...obj.metadata, ...(r.namespaced ? { namespace } : {}) } };
    if (obj.metadata.name === undefined && obj.metadata.generateName !== undefined) {
      obj.metadata.name = obj.metadata.generateName + Array.from({ length: 5 }, () => NAME_ALPHABET[randomInt(NAME_ALPHABET.length)]).join('');
    }
    const hook = this.createHooks.get(`${r.group}/${r.plural}`);
    if (hook !== undefined) {
      const admitted = hook(obj, this);
      if ('reason' in admitted && 'status' in admitted && typeof admitted.status === 'number') {
        return this.#reply(req, res, admitted.status, status(admitted.status, admitted.reason as string, admitted.message as string));
      }
      obj = admitted as Obj;
    }
    if (obj.metadata.name === undefined) return this.#reply(req, res, 422, status(422, 'Invalid', `${groupResourceName(r)} is invalid: metadata.name: Required value: name or generateName is required`));
    if (this.get(r.group, r.plural, namespace, obj.metadata.name) !== undefined) {
      return this.#reply(req, res, 409, status(409, 'AlreadyExists', `${groupResourceName(r)} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, group: r.group, kind: r.plural }));
    }
    const stored = this.put({ ...obj, metadata: { ...obj.metadata, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } });
    this.#reply(req, res, 201, stored);
  }

  #watch(req: IncomingMessage, res: ServerResponse, r: Resource, namespace: string | undefined, labelSelector: string | null, fieldSelector: string | null, rv: string | null, timeoutSeconds: number): void {
    const since = rv === null || rv === '' || rv === '0' ? undefined : Number(rv);
    const oldest = this.#events[0]?.rv ?? this.#rv;
    if (since !== undefined && since < oldest - 1) {
      return this.#reply(req, res, 410, status(410, 'Expired', `too old resource version: ${since} (${oldest})`));
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    this.requests.push({ method: 'GET', path: req.url ?? '', accept: req.headers.accept, status: 200, secretData: false });
    const w: Watcher = { resource: r, namespace, labelSelector, fieldSelector, res };
    if (since === undefined) for (const obj of this.list(r.group, r.plural, namespace)) this.#send(w, 'ADDED', r, obj);
    else for (const e of this.#events.filter((x) => x.rv > since)) this.#send(w, e.type, e.resource, e.object);
    this.#watchers.add(w);
    const timer = setTimeout(() => res.end(), timeoutSeconds * 1000);
    res.on('close', () => {
      clearTimeout(timer);
      this.#watchers.delete(w);
    });
  }
}
