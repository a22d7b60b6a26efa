// A loopback peer for the one Kubernetes call the relay makes: a JSON merge-patch of a Warehouse's refresh annotation.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const PATH = /^\/apis\/kargo\.akuity\.io\/v1alpha1\/namespaces\/([a-z0-9-]+)\/warehouses\/([a-z0-9.-]+)$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface Patch {
  readonly namespace: string;
  readonly name: string;
  readonly refresh: string;
}

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

export class KubernetesApiPeer {
  readonly server: Server;
  readonly token = 'test-service-account-token';
  /** `namespace/name` of the Warehouses that exist. */
  readonly warehouses: Set<string>;
  readonly patches: Patch[] = [];
  readonly rejected: { status: number; message: string }[] = [];
  failWith: number | undefined;

  constructor(warehouses: readonly string[]) {
    this.warehouses = new Set(warehouses);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (code: number, body: string) => {
          if (code >= 300) this.rejected.push({ status: code, message: body });
          res.writeHead(code, { 'content-type': 'application/json' }).end(body);
        };
        if (req.headers.authorization !== `Bearer ${this.token}`) return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
        const m = PATH.exec((req.url ?? '').split('?')[0] ?? '');
        if (m === null) return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
        if (req.method !== 'PATCH') return reply(405, status(405, 'MethodNotAllowed', `method ${req.method ?? ''} not allowed`));
        if ((req.headers['content-type'] ?? '').split(';')[0] !== 'application/merge-patch+json') {
          return reply(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`));
        }
        if (this.failWith !== undefined) return reply(this.failWith, status(this.failWith, 'InternalError', 'injected failure'));
        const [, namespace = '', name = ''] = m;
        if (!this.warehouses.has(`${namespace}/${name}`)) return reply(404, status(404, 'NotFound', `warehouses.kargo.akuity.io "${name}" not found`));
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked field by field below
        let body: any;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return reply(400, status(400, 'BadRequest', 'invalid JSON'));
        }
        // Exactly one annotation and nothing else: the relay must not touch any other field.
        const annotations = body?.metadata?.annotations;
        const onlyAnnotation =
          Object.keys(body ?? {}).join() === 'metadata' &&
          Object.keys(body.metadata).join() === 'annotations' &&
          Object.keys(annotations ?? {}).join() === 'kargo.akuity.io/refresh' &&
          typeof annotations['kargo.akuity.io/refresh'] === 'string' &&
          RFC3339.test(annotations['kargo.akuity.io/refresh']);
        if (!onlyAnnotation) return reply(422, status(422, 'Invalid', 'patch must set only metadata.annotations["kargo.akuity.io/refresh"] to an RFC 3339 time'));
        this.patches.push({ namespace, name, refresh: annotations['kargo.akuity.io/refresh'] as string });
        return reply(
          200,
          JSON.stringify({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Warehouse', metadata: { name, namespace, annotations }, spec: {} }),
        );
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Writes a kubeconfig pointing at this peer with its bearer token; returns its path. */
  writeKubeconfig(dir: string, server: string, options: { skipTLSVerify?: boolean } = {}): string {
    const file = join(dir, 'kubeconfig.yaml');
    const skip = options.skipTLSVerify ?? true;
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        // client-node refuses plain http unless TLS verification is off; the peer is loopback http.
        'clusters: [{ name: peer, cluster: { server: "' + server + '"' + (skip ? ', insecure-skip-tls-verify: true' : '') + ' } }]',
        'users: [{ name: relay, user: { token: "' + this.token + '" } }]',
        'contexts: [{ name: peer, context: { cluster: peer, user: relay } }]',
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
