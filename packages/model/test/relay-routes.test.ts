// The relay's routes file: schema, defaults, cross-route rules, and issues located by line and column.
import { describe, expect, it } from 'vitest';
import { kargoReceiverPath, kargoReceiverUrl, parseRelayRoutes, relayTargetKey, relayTargetLabel, RelayRoutesSchema } from '../src/index.ts';

const HASH = 'a'.repeat(64);
const GOOD = `routes:
  - image: ghcr.io/alkon/flask-app
    tags: { strategy: SemVer, constraint: ^1.0.0, allow: [], ignore: [] }
    targets:
      - kargoWebhook: { url: https://kargo-external-webhooks-server.kargo-ns.svc/github/${HASH}, secretEnv: KARGO_RECEIVER_SECRET }
      - kubernetes: { namespace: flask-app, warehouse: flask-app }
      - log: {}
`;

describe('parseRelayRoutes', () => {
  it('accepts the documented example and applies defaults', () => {
    const result = parseRelayRoutes(GOOD, { filename: 'routes.yaml' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([]);
    const [route] = result.value.routes;
    expect(route).toMatchObject({ image: 'ghcr.io/alkon/flask-app', forwardUntagged: false, tags: { strategy: 'SemVer', constraint: '^1.0.0', strictSemvers: true } });
    expect(route!.targets.map(relayTargetKey)).toEqual([
      `kargoWebhook:https://kargo-external-webhooks-server.kargo-ns.svc/github/${HASH}`,
      'kubernetes:flask-app/flask-app',
      'log',
    ]);
    expect(relayTargetLabel(route!.targets[0]!)).toBe('kargoWebhook:kargo-external-webhooks-server.kargo-ns.svc');
  });

  it('locates schema errors by path, line and column', () => {
    const text = `routes:
  - image: ghcr.io/a/b
    targets:
      - kubernetes: { namespace: Bad_NS, warehouse: w }
      - kargoWebhook: { url: ftp://x/github/${HASH}, secretEnv: KARGO }
      - log: {}
        extra: 1
`;
    const result = parseRelayRoutes(text, { filename: 'routes.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = Object.fromEntries(result.errors.map((e) => [e.path, e]));
    expect(byPath['routes[0].targets[0].kubernetes.namespace']).toMatchObject({ file: 'routes.yaml', line: 4, column: 34, severity: 'error' });
    expect(byPath['routes[0].targets[1].kargoWebhook.url']).toMatchObject({ line: 5, column: 30 });
    expect(result.errors.some((e) => e.path.startsWith('routes[0].targets[2]') && e.line === 6)).toBe(true);
  });

  it('rejects unknown keys, an empty target list and a bad env var name', () => {
    const result = parseRelayRoutes('routes:\n  - image: ghcr.io/a/b\n    targets: []\n    color: red\n  - image: ghcr.io/a/c\n    targets: [{ kargoWebhook: { url: "https://k/github/x", secretEnv: "1BAD" } }]\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.errors.map((e) => e.path);
    expect(paths).toContain('routes[0].targets');
    expect(paths).toContain('routes[0]');
    expect(paths).toContain('routes[1].targets[0].kargoWebhook.secretEnv');
    expect(result.errors.find((e) => e.path === 'routes[0]')?.code).toBe('unrecognized_keys');
  });

  it('rejects a second route for the same image (case-insensitive) and a repeated target', () => {
    const text = `routes:
  - image: ghcr.io/a/b
    targets: [{ log: {} }, { log: {} }]
  - image: GHCR.io/A/B
    targets: [{ log: {} }]
`;
    const result = parseRelayRoutes(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.code, e.path, e.line])).toEqual([
      ['duplicate-target', 'routes[0].targets[1]', 3],
      ['duplicate-route', 'routes[1].image', 4],
    ]);
  });

  it('rejects tag rules that do not compile, pointing at the field', () => {
    const text = `routes:
  - image: ghcr.io/a/b
    tags:
      constraint: ">>1"
      allow: ["ok", "(unclosed"]
    targets: [{ log: {} }]
`;
    const result = parseRelayRoutes(text, { filename: 'r.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.errors.map((e) => e.path);
    expect(paths).toContain('routes[0].tags.constraint');
    expect(paths).toContain('routes[0].tags.allow[1]');
    expect(result.errors.find((e) => e.path === 'routes[0].tags.allow[1]')).toMatchObject({ line: 5, file: 'r.yaml' });
  });

  it('warns when a kargoWebhook URL is not a GitHub receiver path', () => {
    const result = parseRelayRoutes('routes:\n  - image: ghcr.io/a/b\n    targets: [{ kargoWebhook: { url: "https://kargo.example.com/quay/abc", secretEnv: S } }]\n');
    expect(result.ok).toBe(true);
    expect(result.warnings).toMatchObject([{ code: 'not-a-github-receiver', path: 'routes[0].targets[0].kargoWebhook.url', line: 3 }]);
  });

  it('reports YAML syntax errors with a position', () => {
    const result = parseRelayRoutes('routes:\n  - image: [unclosed\n', { filename: 'routes.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ code: 'yaml-syntax', file: 'routes.yaml', severity: 'error' });
    expect(result.errors[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('treats an empty document as no routes being an error-free but empty set only when routes: [] is given', () => {
    expect(parseRelayRoutes('routes: []\n').ok).toBe(true);
    const empty = parseRelayRoutes('');
    expect(empty.ok).toBe(false);
  });

  it('exports the schema for other tools (kargo-env render writes this file)', () => {
    expect(RelayRoutesSchema.safeParse({ routes: [{ image: 'ghcr.io/a/b', targets: [{ log: {} }] }] }).success).toBe(true);
  });
});

describe('kargoReceiverPath / kargoReceiverUrl', () => {
  // Vectors computed outside this code:
  //   printf %s 'kargo-demoghcrmy-receiver-secret' | sha256sum → 0e9640fd…9be339
  //   printf %s 'platformghcr-clusters3cr3t' | sha256sum      → 0db8f6b1…d19462 (ClusterConfig: project "")
  const DEMO = '0e9640fdd6aaf7fcf3088f3072b1fec922339ae75a589754e22f12a66f9be339';
  const CLUSTER = '0db8f6b1b03503c64e54360a4b9ea496211e7a5c5778165c6f452d79c4d19462';

  it("hashes project + receiver + secret with no separator, under the base path's /github/", () => {
    expect(kargoReceiverPath({ project: 'kargo-demo', receiver: 'ghcr', secret: 'my-receiver-secret' })).toBe(`/github/${DEMO}`);
    expect(kargoReceiverPath({ project: 'kargo-demo', receiver: 'ghcr', secret: 'my-receiver-secret', basePath: '/' })).toBe(`/github/${DEMO}`);
    expect(kargoReceiverPath({ project: 'kargo-demo', receiver: 'ghcr', secret: 'my-receiver-secret', basePath: '/webhooks/' })).toBe(`/webhooks/github/${DEMO}`);
    expect(kargoReceiverPath({ project: '', receiver: 'platformghcr-cluster', secret: 's3cr3t' })).toBe(`/github/${CLUSTER}`);
  });

  it('builds the URL from the base URL, keeping its path as the base path', () => {
    expect(kargoReceiverUrl({ baseURL: 'https://kargo-external-webhooks-server.kargo.svc', project: 'kargo-demo', receiver: 'ghcr', secret: 'my-receiver-secret' })).toBe(
      `https://kargo-external-webhooks-server.kargo.svc/github/${DEMO}`,
    );
    expect(kargoReceiverUrl({ baseURL: 'https://kargo.example.com/webhooks', project: 'kargo-demo', receiver: 'ghcr', secret: 'my-receiver-secret' })).toBe(
      `https://kargo.example.com/webhooks/github/${DEMO}`,
    );
  });
});

describe('kargoWebhook by receiver', () => {
  const routes = (kargoWebhook: Record<string, unknown>) => ({ routes: [{ image: 'ghcr.io/a/b', targets: [{ kargoWebhook }] }] });

  it('accepts { baseURL, project, receiver, secretEnv } with an optional caFile, and keys it without the secret', () => {
    const parsed = RelayRoutesSchema.parse(
      routes({ baseURL: 'https://kargo-external-webhooks-server.kargo.svc', project: 'kargo-demo', receiver: 'ghcr', secretEnv: 'KARGO_RECEIVER_SECRET', caFile: '/etc/kargo-ca/ca.crt', insecureSkipTLSVerify: false }),
    );
    const target = parsed.routes[0]!.targets[0]!;
    expect(relayTargetKey(target)).toBe('kargoWebhook:https://kargo-external-webhooks-server.kargo.svc#kargo-demo/ghcr');
    expect(relayTargetLabel(target)).toBe('kargoWebhook:kargo-external-webhooks-server.kargo.svc');
    expect(RelayRoutesSchema.safeParse(routes({ baseURL: 'https://k', project: '', receiver: 'ghcr', secretEnv: 'S' })).success).toBe(true);
  });

  it('rejects mixing the two shapes, skipping TLS verification, and names that are not DNS-1123', () => {
    for (const bad of [
      { url: `https://k/github/${HASH}`, baseURL: 'https://k', project: 'p', receiver: 'r', secretEnv: 'S' },
      { baseURL: 'https://k', project: 'p', receiver: 'r', secretEnv: 'S', insecureSkipTLSVerify: true },
      { baseURL: 'https://k', project: 'Bad_Project', receiver: 'r', secretEnv: 'S' },
      { baseURL: 'https://k', project: 'p', receiver: 'UPPER', secretEnv: 'S' },
      { baseURL: 'ftp://k', project: 'p', receiver: 'r', secretEnv: 'S' },
      { baseURL: 'https://k', project: 'p', secretEnv: 'S' },
    ]) {
      expect(RelayRoutesSchema.safeParse(routes(bad)).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
