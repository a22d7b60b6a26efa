// A loopback peer for the coordination.k8s.io/v1 Lease API, as the API server serves it to the relay's sweeper election:
// GET, POST (create) and PUT (update) of Leases in one namespace; 404 NotFound, 409 AlreadyExists on a second create,
// 409 Conflict on a stale resourceVersion, 422 for an update without one (Leases do not allow unconditional
// updates) or an invalid spec, 400 for a time that is not a MicroTime (exactly six fraction digits, as
// apimachinery's MicroTime.UnmarshalJSON parses RFC3339Micro), 401 without a known token, and 403 outside what
// the relay's Role grants: get/update on the one Lease name, create on leases (RBAC cannot limit create by name).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const COLLECTION = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([a-z0-9-]+)\/leases$/;
const ITEM = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([a-z0-9-]+)\/leases\/([a-z0-9.-]+)$/;
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const SPEC_FIELDS = new Set(['holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime', 'leaseTransitions', 'preferredHolder', 'strategy']);

export interface StoredLeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface StoredLease {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; creationTimestamp: string; labels?: Record<string, string> };
  spec: StoredLeaseSpec;
}

/** One successful write, in the order the peer applied them; `at` is performance.now() of the peer. */
export interface LeaseWrite {
  readonly verb: 'create' | 'update';
  readonly name: string;
  /** The caller, by its token's user. */
  readonly user: string;
  readonly at: number;
  readonly resourceVersion: string;
  readonly spec: StoredLeaseSpec;
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details === undefined ? {} : { details }), code });
}

export class LeaseApiPeer {
  readonly server: Server;
  readonly namespace: string;
  /** The Lease name the Role grants get/update on. */
  readonly leaseName: string;
  /** token → user name. */
  readonly #tokens = new Map<string, string>();
  readonly leases = new Map<string, StoredLease>();
  readonly writes: LeaseWrite[] = [];
  /** Every answered request: user, method, status. */
  readonly requests: { user: string; method: string; status: number }[] = [];
  /** Users whose requests get 503 (a partition between that replica and the API server). */
  readonly unavailableTo = new Set<string>();
  #rv = 100;

  constructor(namespace: string, leaseName: string) {
    this.namespace = namespace;
    this.leaseName = leaseName;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const user = this.#tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, '')) ?? '';
        const method = req.method ?? '';
        const reply = (code: number, body: string) => {
          this.requests.push({ user, method, status: code });
          res.writeHead(code, { 'content-type': 'application/json' }).end(body);
        };
        if (user === '') return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
        if (this.unavailableTo.has(user)) return reply(503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
        const path = (req.url ?? '').split('?')[0] ?? '';
        const item = ITEM.exec(path);
        const collection = COLLECTION.exec(path);
        const ns = item?.[1] ?? collection?.[1];
        if (ns === undefined) return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
        const name = item?.[2];
        const verb = method === 'GET' ? 'get' : method === 'POST' && item === null ? 'create' : method === 'PUT' && name !== undefined ? 'update' : undefined;
        if (verb === undefined) return reply(405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
        const forbidden = () =>
          reply(403, status(403, 'Forbidden', `leases.coordination.k8s.io${name === undefined ? '' : ` "${name}"`} is forbidden: User "${user}" cannot ${verb} resource "leases" in API group "coordination.k8s.io" in the namespace "${ns}"`));
        if (ns !== this.namespace || (verb !== 'create' && name !== this.leaseName)) return forbidden();
        if (verb === 'get') {
          const lease = name === undefined ? undefined : this.leases.get(name);
          if (lease === undefined) return reply(404, status(404, 'NotFound', `leases.coordination.k8s.io "${name ?? ''}" not found`, { name, group: 'coordination.k8s.io', kind: 'leases' }));
          return reply(200, this.#render(lease));
        }
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked field by field below
        let body: any;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return reply(400, status(400, 'BadRequest', 'invalid JSON'));
        }
        if (body?.apiVersion !== 'coordination.k8s.io/v1' || body?.kind !== 'Lease') return reply(400, status(400, 'BadRequest', `expected apiVersion coordination.k8s.io/v1, kind Lease`));
        const problem = this.#specProblem(body.spec);
        if (problem !== undefined) return reply(problem.code, status(problem.code, problem.code === 400 ? 'BadRequest' : 'Invalid', problem.message));
        const bodyName: unknown = body.metadata?.name;
        if (body.metadata?.namespace !== undefined && body.metadata.namespace !== ns) return reply(400, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
        if (verb === 'create') {
          if (typeof bodyName !== 'string' || bodyName === '') return reply(422, status(422, 'Invalid', 'Lease.coordination.k8s.io "" is invalid: metadata.name: Required value: name or generateName is required'));
          if (bodyName !== this.leaseName) return forbidden();
          if (this.leases.has(bodyName)) return reply(409, status(409, 'AlreadyExists', `leases.coordination.k8s.io "${bodyName}" already exists`, { name: bodyName, group: 'coordination.k8s.io', kind: 'leases' }));
          const lease: StoredLease = {
            metadata: { name: bodyName, namespace: ns, uid: `uid-${bodyName}`, resourceVersion: String(++this.#rv), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...(body.metadata.labels === undefined ? {} : { labels: body.metadata.labels }) },
            spec: this.#normalise(body.spec),
          };
          this.leases.set(bodyName, lease);
          this.writes.push({ verb, name: bodyName, user, at: performance.now(), resourceVersion: lease.metadata.resourceVersion, spec: lease.spec });
          return reply(201, this.#render(lease));
        }
        if (bodyName !== name) return reply(400, status(400, 'BadRequest', `the name of the object (${String(bodyName)}) does not match the name on the URL (${name ?? ''})`));
        const current = this.leases.get(name ?? '');
        if (current === undefined) return reply(404, status(404, 'NotFound', `leases.coordination.k8s.io "${name ?? ''}" not found`, { name, group: 'coordination.k8s.io', kind: 'leases' }));
        const rv: unknown = body.metadata?.resourceVersion;
        if (typeof rv !== 'string' || rv === '') return reply(422, status(422, 'Invalid', `Lease.coordination.k8s.io "${name ?? ''}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`));
        if (rv !== current.metadata.resourceVersion) {
          return reply(409, status(409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: 'coordination.k8s.io', kind: 'leases' }));
        }
        current.spec = this.#normalise(body.spec);
        current.metadata.resourceVersion = String(++this.#rv);
        if (body.metadata.labels !== undefined) current.metadata.labels = body.metadata.labels;
        this.writes.push({ verb, name: name ?? '', user, at: performance.now(), resourceVersion: current.metadata.resourceVersion, spec: current.spec });
        return reply(200, this.#render(current));
      });
    });
  }

  /** A token the peer accepts, authenticated as `user`. */
  addUser(user: string, token: string): void {
    this.#tokens.set(token, user);
  }

  /** The Lease's current spec, or undefined when it does not exist. */
  spec(name = this.leaseName): StoredLeaseSpec | undefined {
    return this.leases.get(name)?.spec;
  }

  #specProblem(spec: unknown): { code: number; message: string } | undefined {
    if (spec === undefined) return undefined;
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return { code: 400, message: 'spec: expected an object' };
    const s = spec as Record<string, unknown>;
    const unknown = Object.keys(s).filter((k) => !SPEC_FIELDS.has(k));
    if (unknown.length > 0) return { code: 400, message: `strict decoding error: unknown field "spec.${unknown[0] ?? ''}"` };
    for (const key of ['acquireTime', 'renewTime']) {
      const v = s[key];
      if (v !== undefined && v !== null && (typeof v !== 'string' || !MICRO_TIME.test(v))) {
        return { code: 400, message: `spec.${key}: parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse` };
      }
    }
    if (s.holderIdentity !== undefined && typeof s.holderIdentity !== 'string') return { code: 400, message: 'spec.holderIdentity: expected a string' };
    for (const key of ['leaseDurationSeconds', 'leaseTransitions']) {
      const v = s[key];
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v))) return { code: 400, message: `spec.${key}: expected an integer` };
    }
    // pkg/apis/coordination/validation: a duration must be positive, transitions not negative.
    if (typeof s.leaseDurationSeconds === 'number' && s.leaseDurationSeconds <= 0) return { code: 422, message: 'spec.leaseDurationSeconds: Invalid value: must be greater than 0' };
    if (typeof s.leaseTransitions === 'number' && s.leaseTransitions < 0) return { code: 422, message: 'spec.leaseTransitions: Invalid value: must be greater than or equal to 0' };
    return undefined;
  }

  /** As the API server stores a MicroTime: UTC, six fraction digits. */
  #normalise(spec: Record<string, unknown> | undefined): StoredLeaseSpec {
    const micro = (v: unknown) => {
      if (typeof v !== 'string') return undefined;
      const ms = Date.parse(v);
      const fraction = /\.(\d{6})/.exec(v)?.[1] ?? '000000';
      return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
    };
    const out: StoredLeaseSpec = {};
    if (typeof spec?.holderIdentity === 'string') out.holderIdentity = spec.holderIdentity;
    if (typeof spec?.leaseDurationSeconds === 'number') out.leaseDurationSeconds = spec.leaseDurationSeconds;
    const acquireTime = micro(spec?.acquireTime);
    if (acquireTime !== undefined) out.acquireTime = acquireTime;
    const renewTime = micro(spec?.renewTime);
    if (renewTime !== undefined) out.renewTime = renewTime;
    if (typeof spec?.leaseTransitions === 'number') out.leaseTransitions = spec.leaseTransitions;
    return out;
  }

  #render(lease: StoredLease): string {
    return JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: lease.metadata, spec: lease.spec });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Writes a kubeconfig for `user` (its token added to the peer) pointing at this peer; returns its path. */
  writeKubeconfig(dir: string, server: string, user: string): string {
    const token = `token-of-${user}`;
    this.addUser(user, token);
    const file = join(dir, `kubeconfig-${user}.yaml`);
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        // client-node refuses plain http unless TLS verification is off; the peer is loopback http.
        `clusters: [{ name: peer, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]`,
        `users: [{ name: ${user}, user: { token: "${token}" } }]`,
        `contexts: [{ name: peer, context: { cluster: peer, user: ${user} } }]`,
        'current-context: peer',
        '',
      ].join('\n'),
    );
    return file;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
