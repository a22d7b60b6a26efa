// Prerequisites in order (Argo CD checked, Argo Rollouts before Kargo) and Git credentials in every Project namespace.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkArgoCdApplicationsCrd } from '../src/argo-cd.ts';
import { DEFAULT_ARGO_ROLLOUTS_VERSION } from '../src/argo-rollouts.ts';
import { checkGitCredentials } from '../src/config.ts';
import { InfraErrorCode } from '../src/errors.ts';
import { GIT_REPO_URL_ANNOTATION } from '../src/kargo-projects.ts';
import { isSecretWire, MOCK_ARGOCD_APPLICATIONS_CRD, parentName, plainStrings, runProgram, type Loose, type ProgramRun, type Registration } from './harness.ts';

const T = {
  rollouts: 'kargo:infra:ArgoRollouts',
  projects: 'kargo:infra:KargoProjects',
  configs: 'kargo:infra:KargoConfigsApp',
  ns: 'kubernetes:core/v1:Namespace',
  secret: 'kubernetes:core/v1:Secret',
  release: 'kubernetes:helm.sh/v3:Release',
  app: 'kubernetes:argoproj.io/v1alpha1:Application',
  crd: 'kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition',
} as const;
const REPO = resolve(import.meta.dirname, '../..');
const GIT_URL = 'https://github.com/alkon/kargo-gitops-toolkit.git';
const TOKEN = 'github_pat_11AAAAAAA0secretTokenValue';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEmockGitHubAppKey\n-----END RSA PRIVATE KEY-----\n';
const BASIC = JSON.stringify({ username: 'kargo-bot', password: TOKEN });

const enabled = (extra: Record<string, string> = {}, secrets: string[] = []) => runProgram({ enableKargo: 'true', ...extra }, secrets);
const withCreds = (creds: string, extra: Record<string, string> = {}) => enabled({ gitCredentials: creds, ...extra }, ['gitCredentials']);
const failure = (p: Promise<ProgramRun>): Promise<{ code?: string; message: string; hint?: string }> =>
  p.then(
    () => {
      throw new Error('expected the program to fail');
    },
    (e: unknown) => e as { code?: string; message: string },
  );
const index = (run: ProgramRun, type: string, name: string) => run.resources.indexOf(run.find(type, name));
const gitSecrets = (run: ProgramRun): Registration[] =>
  run.resources.filter((r) => r.type === T.secret && (r.inputs.metadata as Loose)?.labels?.['kargo.akuity.io/cred-type'] === 'git');
const readUrn = (run: ProgramRun, id: string): string => {
  const read = run.reads.find((r) => r.id === id);
  if (read === undefined) throw new Error(`no read of ${id}`);
  return run.urnOf({ ...read, custom: true, provider: '', wire: {}, inputs: {} });
};

describe('Argo Rollouts (argoRollouts, argoRolloutsVersion)', () => {
  test('install (the default): the pinned argo-helm chart, registered before Kargo, which depends on it', async () => {
    const run = await enabled();
    expect(DEFAULT_ARGO_ROLLOUTS_VERSION).toBe('2.41.0');
    const rel = run.find(T.release, 'argo-rollouts');
    expect(parentName(rel)).toBe('argo-rollouts');
    expect(run.find(T.rollouts, 'argo-rollouts').custom).toBe(false);
    expect(rel.inputs).toMatchObject({
      name: 'argo-rollouts',
      chart: 'argo-rollouts',
      repositoryOpts: { repo: 'https://argoproj.github.io/argo-helm' },
      version: '2.41.0',
      namespace: 'argo-rollouts',
      values: { installCRDs: true },
      atomic: true,
    });
    expect(index(run, T.release, 'argo-rollouts')).toBeLessThan(index(run, T.release, 'kargo'));
    expect(run.find(T.release, 'kargo').dependencies).toContain(run.urnOf(rel));
  });

  test('Kargo starts with the Rollouts integration switched on explicitly, controller and API server', async () => {
    for (const mode of ['install', 'existing']) {
      const v = (await enabled({ argoRollouts: mode })).find(T.release, 'kargo').inputs.values as Loose;
      expect(v.controller.rollouts).toEqual({ integrationEnabled: true });
      expect(v.api.rollouts).toEqual({ integrationEnabled: true });
    }
  });

  test('existing registers nothing for Rollouts', async () => {
    const run = await enabled({ argoRollouts: 'existing' });
    expect(run.resources.filter((r) => r.type === T.rollouts || parentName(r) === 'argo-rollouts')).toEqual([]);
    expect(run.resources.filter((r) => r.type === T.release).map((r) => r.name)).toEqual(['kargo']);
  });

  test('argoRolloutsVersion pins the chart', async () => {
    const run = await enabled({ argoRolloutsVersion: '2.40.10' });
    expect(run.find(T.release, 'argo-rollouts').inputs.version).toBe('2.40.10');
  });

  test.each([
    [{ argoRollouts: 'maybe' }, 'argoRollouts'],
    [{ argoRolloutsVersion: 'v2.41.0' }, 'argoRolloutsVersion'],
  ])('rejects %j', async (bad, key) => {
    const err = await failure(enabled(bad));
    expect(err).toMatchObject({ code: InfraErrorCode.InvalidConfig });
    expect(err.message).toContain(key);
  });
});

describe('Argo CD prerequisite', () => {
  test("Argo CD's Application CRD is read, and the Kargo release and kargo-configs wait for it", async () => {
    const run = await enabled();
    const read = run.reads.find((r) => r.type === T.crd);
    expect(read).toMatchObject({ id: 'applications.argoproj.io', name: 'argocd-applications-crd', parentUrn: '' });
    const urn = readUrn(run, 'applications.argoproj.io');
    expect(run.find(T.release, 'kargo').dependencies).toContain(urn);
    expect(run.find(T.app, 'kargo-configs').dependencies).toContain(urn);
  });

  test('a CRD that is not Argo CD\'s Application is a typed error', () => {
    expect(() => checkArgoCdApplicationsCrd(MOCK_ARGOCD_APPLICATIONS_CRD.spec)).not.toThrow();
    const bad = [
      undefined,
      { ...MOCK_ARGOCD_APPLICATIONS_CRD.spec, group: 'example.com' },
      { ...MOCK_ARGOCD_APPLICATIONS_CRD.spec, names: { kind: 'App' } },
      { ...MOCK_ARGOCD_APPLICATIONS_CRD.spec, versions: [{ name: 'v1alpha1', served: false }] },
    ];
    for (const spec of bad) {
      expect(() => checkArgoCdApplicationsCrd(spec)).toThrow(
        expect.objectContaining({ code: InfraErrorCode.ArgoCdMissing, message: expect.stringContaining('applications.argoproj.io'), hint: expect.stringContaining('install Argo CD') }),
      );
    }
  });
});

describe('Project namespaces', () => {
  test('every Project of the rendered tree gets a namespace labelled for Kargo, after the Kargo release, before kargo-configs', async () => {
    const run = await enabled();
    const ns = run.find(T.ns, 'kargo-projects-namespace-flask-app');
    expect(parentName(ns)).toBe('kargo-projects');
    expect(ns.inputs.metadata).toEqual({ name: 'flask-app', labels: { 'kargo.akuity.io/project': 'true' } });
    expect(ns.dependencies).toContain(run.urnOf(run.find(T.release, 'kargo')));
    expect(run.find(T.app, 'kargo-configs').dependencies).toContain(run.urnOf(ns));
  });

  test('with the relay disabled, namespaces and Git credentials are still created', async () => {
    const run = await withCreds(BASIC, { enableRelay: 'false' });
    expect(run.resources.some((r) => r.type === 'kargo:infra:WebhookRelay')).toBe(false);
    expect((run.find(T.ns, 'kargo-projects-namespace-flask-app').inputs.metadata as Loose).labels).toEqual({ 'kargo.akuity.io/project': 'true' });
    expect(gitSecrets(run).map((r) => r.name)).toEqual(['kargo-projects-git-credentials-flask-app']);
  });

  test('kargoDir: Projects come from the rendered tree at that path (one namespace and Secret each)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kargo-infra-tree-'));
    cpSync(join(REPO, 'kargo'), join(dir, 'kargo'), { recursive: true });
    mkdirSync(join(dir, 'kargo/other'));
    writeFileSync(join(dir, 'kargo/other/project.yaml'), 'apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata:\n  name: other-app\n');
    const run = await withCreds(BASIC, { kargoDir: join(dir, 'kargo'), enableRelay: 'false' });
    expect(run.resources.filter((r) => r.type === T.ns && parentName(r) === 'kargo-projects').map((r) => (r.inputs.metadata as { name: string }).name)).toEqual(['flask-app', 'other-app']);
    expect(gitSecrets(run).map((r) => (r.inputs.metadata as { namespace: string }).namespace)).toEqual(['flask-app', 'other-app']);
  });

  test.each([
    ['a missing directory', () => join(tmpdir(), 'kargo-infra-absent-tree'), /cannot read the rendered kargo tree/],
    [
      'a tree without a Project',
      () => {
        const dir = mkdtempSync(join(tmpdir(), 'kargo-infra-tree-'));
        writeFileSync(join(dir, 'stage.yaml'), 'apiVersion: kargo.akuity.io/v1alpha1\nkind: Stage\nmetadata: { name: dev, namespace: x }\n');
        return dir;
      },
      /holds no Kargo Project/,
    ],
  ] as [string, () => string, RegExp][])('kargoDir: %s is a typed error before anything is registered', async (_what, dir, message) => {
    const err = await failure(enabled({ kargoDir: dir() }));
    expect(err).toMatchObject({ code: InfraErrorCode.InvalidKargoTree, message: expect.stringMatching(message), hint: expect.stringContaining('kargo-env render') });
  });
});

describe('gitCredentials', () => {
  test('username/password: one Secret per Project namespace, labelled cred-type git, repoURL = gitRepoURL, after its namespace', async () => {
    const run = await withCreds(BASIC);
    const [secret, ...others] = gitSecrets(run);
    expect(others).toEqual([]);
    expect(secret?.name).toBe('kargo-projects-git-credentials-flask-app');
    expect(parentName(secret!)).toBe('kargo-projects');
    expect(secret?.inputs).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kargo-git-credentials', namespace: 'flask-app', labels: { 'kargo.akuity.io/cred-type': 'git' }, annotations: { 'kargo-env.dev/repo-url': GIT_URL } },
      type: 'Opaque',
      stringData: { repoURL: GIT_URL, username: 'kargo-bot', password: TOKEN },
    });
    expect(secret?.dependencies).toContain(run.urnOf(run.find(T.ns, 'kargo-projects-namespace-flask-app')));
    // Argo CD syncs the Stages only once their credentials are there.
    expect(run.find(T.app, 'kargo-configs').dependencies).toContain(run.urnOf(secret!));
    expect(run.warnings).toEqual([]);
  });

  test('the credential values are Pulumi secrets on the wire, in no resource input in plain text, and in no output', async () => {
    const run = await withCreds(BASIC);
    const wire = gitSecrets(run)[0]?.wire as Loose;
    // The engine receives the Secret's data wrapped as a secret (the kubernetes SDK wraps all of stringData once a
    // value in it is secret; the values alone are pulumi.secret too).
    expect(isSecretWire(wire.stringData)).toBe(true);
    expect(plainStrings(wire.stringData)).toEqual([]);
    for (const r of run.resources) {
      const plain = plainStrings(r.wire).join('\n');
      expect(plain.includes(TOKEN), `${r.type} ${r.name}`).toBe(false);
      expect(plain.includes('kargo-bot'), `${r.type} ${r.name}`).toBe(false);
    }
    expect(JSON.stringify(run.outputs)).not.toContain(TOKEN);
  });

  test('the Secret names its repoURL in the annotation kargo-env doctor reads, in plain metadata, whatever gitRepoURL is', async () => {
    const url = 'https://github.com/acme/gitops.git';
    const run = await withCreds(BASIC, { gitRepoURL: url });
    const secret = gitSecrets(run)[0]!;
    const metadata = secret.inputs.metadata as Loose;
    expect(GIT_REPO_URL_ANNOTATION).toBe('kargo-env.dev/repo-url');
    expect(metadata.annotations).toEqual({ [GIT_REPO_URL_ANNOTATION]: url });
    expect(metadata.annotations[GIT_REPO_URL_ANNOTATION]).toBe((secret.inputs.stringData as Loose).repoURL);
    // Doctor lists Secrets as metadata only: the annotation must not be wrapped as a secret like stringData is.
    expect(isSecretWire((secret.wire as Loose).metadata)).toBe(false);
    expect(plainStrings((secret.wire as Loose).metadata)).toContain(url);
  });

  test('a GitHub App: the keys Kargo reads, numeric IDs as strings', async () => {
    const run = await withCreds(JSON.stringify({ githubAppID: 123456, githubAppInstallationID: '7890123', githubAppPrivateKey: PEM }), { gitRepoURL: 'https://github.com/acme/gitops.git' });
    const secret = gitSecrets(run)[0]!;
    expect(secret.inputs.stringData).toEqual({ repoURL: 'https://github.com/acme/gitops.git', githubAppID: '123456', githubAppInstallationID: '7890123', githubAppPrivateKey: PEM });
    expect(plainStrings((secret.wire as Loose).stringData)).toEqual([]);
    expect(plainStrings(secret.wire).join('\n')).not.toContain('MIIEmockGitHubAppKey');
  });

  test('createProjectNamespaces=false: the Secret goes into the existing namespace', async () => {
    const run = await withCreds(BASIC, { createProjectNamespaces: 'false' });
    expect(run.resources.filter((r) => r.type === T.ns && parentName(r) === 'kargo-projects')).toEqual([]);
    expect((gitSecrets(run)[0]?.inputs.metadata as Loose).namespace).toBe('flask-app');
  });

  test('missing: a warning naming the promotions that will fail and the command, and no Git Secret', async () => {
    const run = await enabled();
    expect(gitSecrets(run)).toEqual([]);
    expect(run.warnings).toHaveLength(1);
    const w = run.warnings[0]!;
    expect(w).toContain(`gitCredentials is not set: Kargo has no write access to ${GIT_URL}`);
    expect(w).toContain('flask-app/dev (git-push)');
    expect(w).toContain('flask-app/staging (git-push)');
    expect(w).toContain('flask-app/prod (git-push, git-open-pr, git-wait-for-pr)');
    expect(w).toContain(`pulumi config set --secret gitCredentials '{"username":"<github-user>","password":"<token>"}'`);
    expect(w).toMatch(/Contents and Pull requests read\/write/);
  });

  test('no warning when Kargo is off', async () => {
    expect((await runProgram()).warnings).toEqual([]);
  });

  test.each([
    ['not JSON', TOKEN, /gitCredentials: not valid JSON/],
    ['a JSON string', JSON.stringify(TOKEN), /gitCredentials: must be a JSON object, got a string/],
    ['an array', JSON.stringify([TOKEN]), /must be a JSON object, got an array/],
    ['no password', JSON.stringify({ username: TOKEN }), /gitCredentials: missing key\(s\) password/],
    ['an extra key', JSON.stringify({ username: 'u', password: TOKEN, token: TOKEN }), /gitCredentials: unknown key\(s\) token; allowed: username, password, githubAppID/],
    ['an empty password', JSON.stringify({ username: 'u', password: ' ' }), /gitCredentials\.password: must be a non-empty string/],
    ['both kinds', JSON.stringify({ username: 'u', password: TOKEN, githubAppID: '1' }), /mixes username\/password with GitHub App keys \(githubAppID\)/],
    ['an incomplete GitHub App', JSON.stringify({ githubAppPrivateKey: TOKEN }), /missing key\(s\) githubAppID \(or githubAppClientID\), githubAppInstallationID/],
    ['a non-integer installation ID', JSON.stringify({ githubAppID: 1, githubAppInstallationID: 1.5, githubAppPrivateKey: TOKEN }), /githubAppInstallationID: must be a non-empty string or a positive integer/],
  ])('malformed (%s): a typed error listing the problem, never the value', async (_what, value, message) => {
    const err = await failure(withCreds(value));
    expect(err).toMatchObject({ code: InfraErrorCode.InvalidConfig, message: expect.stringMatching(message) });
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).not.toContain('secretTokenValue');
  });

  test('several problems are listed together', () => {
    expect(checkGitCredentials(JSON.stringify({ user: 'x', password: '' }))).toEqual({
      ok: false,
      problems: [
        'gitCredentials: unknown key(s) user; allowed: username, password, githubAppID, githubAppClientID, githubAppInstallationID, githubAppPrivateKey',
        'gitCredentials: missing key(s) username',
        'gitCredentials.password: must be a non-empty string',
      ],
    });
  });

  test('set in plain text (without --secret): refused, without echoing it', async () => {
    const err = await failure(enabled({ gitCredentials: BASIC }));
    expect(err).toMatchObject({ code: InfraErrorCode.InvalidConfig, message: expect.stringContaining('gitCredentials: stored in plain text; set it again with `pulumi config set --secret') });
    expect(err.message).not.toContain(TOKEN);
  });
});

describe('order of what pulumi up creates', () => {
  test('Argo CD check and Rollouts → Kargo → Project namespaces → Git Secrets → kargo-configs', async () => {
    const run = await withCreds(BASIC, { certManager: 'install' });
    const deps = (type: string, name: string) => run.find(type, name).dependencies;
    const urn = (type: string, name: string) => run.urnOf(run.find(type, name));
    expect(deps(T.release, 'kargo')).toEqual(expect.arrayContaining([readUrn(run, 'applications.argoproj.io'), urn(T.release, 'argo-rollouts'), urn(T.release, 'cert-manager')]));
    expect(deps(T.ns, 'kargo-projects-namespace-flask-app')).toContain(urn(T.release, 'kargo'));
    expect(deps(T.secret, 'kargo-projects-git-credentials-flask-app')).toContain(urn(T.ns, 'kargo-projects-namespace-flask-app'));
    expect(deps(T.app, 'kargo-configs')).toEqual(
      expect.arrayContaining([urn(T.release, 'kargo'), urn(T.ns, 'kargo-projects-namespace-flask-app'), urn(T.secret, 'kargo-projects-git-credentials-flask-app')]),
    );
    const order = [
      index(run, T.release, 'argo-rollouts'),
      index(run, T.release, 'kargo'),
      index(run, T.ns, 'kargo-projects-namespace-flask-app'),
      index(run, T.secret, 'kargo-projects-git-credentials-flask-app'),
      index(run, T.app, 'kargo-configs'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
