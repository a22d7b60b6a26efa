// The Kargo Projects of the rendered kargo/ tree, their namespaces (labelled so Kargo adopts them) and the Git
// write credentials every promotion needs there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { GIT_REPO_URL_ANNOTATION } from '@kargo/model';
import { parseAllDocuments } from 'yaml';
import type { GitCredentials } from './config.ts';
import { InfraErrorCode, KargoInfraError } from './errors.ts';

/**
 * Label Kargo v1.11.2 reads on a Project namespace (api/v1alpha1/labels.go `LabelKeyProject`, value "true"):
 * pkg/controller/management/projects/projects.go adopts an existing namespace only with it, and
 * pkg/webhook/kubernetes/project/webhook.go rejects a Project whose existing namespace lacks it.
 */
export const PROJECT_NAMESPACE_LABEL = 'kargo.akuity.io/project';
/**
 * Label Kargo v1.11.2 finds credentials by (api/v1alpha1/labels.go `LabelKeyCredentialType`, `LabelValueCredentialTypeGit`):
 * pkg/credentials/kubernetes/database.go lists the Secrets of the Project namespace with `kargo.akuity.io/cred-type: git`
 * and takes the one whose `repoURL` (pkg/credentials/credentials.go `FieldRepoURL`) matches the repository.
 */
export const GIT_CRED_TYPE_LABEL = 'kargo.akuity.io/cred-type';
/** Name of the Git credentials Secret in each Project namespace. */
export const GIT_CREDENTIALS_SECRET = 'kargo-git-credentials';
/**
 * The Secret's metadata names the repository its `repoURL` holds (`GIT_REPO_URL_ANNOTATION`, from the model, which
 * `kargo-env doctor` reads too: it lists Secrets as metadata only). Nothing changes for Kargo v1.11.2:
 * pkg/credentials/kubernetes/database.go `getCredentialsSecret` matches on `data.repoURL` alone and hands the
 * Secret's annotations to the credential providers as `Request.Metadata`, where the only key any provider reads is
 * `kargo.akuity.io/github-token-scopes` (pkg/credentials/github/app.go); none interprets a `kargo-env.dev/` key.
 */
export { GIT_REPO_URL_ANNOTATION };

/** A Stage of the rendered tree, as far as Git credentials matter. */
export interface RenderedStage {
  readonly name: string;
  /** Promotion steps that write to Git (`git-push`, `git-open-pr`, `git-wait-for-pr`), in order. */
  readonly gitSteps: string[];
  /** `repoURL`s the Stage's `git-clone` steps use. */
  readonly repoURLs: string[];
}

/** What the program takes from the rendered tree. */
export interface KargoTree {
  /** The directory as configured (for messages). */
  readonly dir: string;
  /** Project names, sorted. */
  readonly projects: string[];
  /** Stages by Project namespace. */
  readonly stages: Record<string, RenderedStage[]>;
}

const GIT_WRITE_STEPS = new Set(['git-push', 'git-open-pr', 'git-wait-for-pr']);

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out;
}

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads the rendered kargo/ tree at `dir` (resolved against `baseDir`: Pulumi runs with cwd = infra/) and lists
 * its Kargo Projects and Stages. Throws a KargoInfraError (`KARGO_INFRA_INVALID_KARGO_TREE`) when the directory
 * cannot be read, a file is not YAML, or it holds no Project.
 */
export function loadKargoTree(dir: string, baseDir: string): KargoTree {
  const root = resolve(baseDir, dir);
  const hint = 'run `pnpm kargo-env render` at the repository root, run Pulumi from infra/, or set kargoDir';
  let files: string[];
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
    files = yamlFiles(root);
  } catch (cause) {
    throw new KargoInfraError(InfraErrorCode.InvalidKargoTree, `cannot read the rendered kargo tree ${dir} (from ${baseDir}): ${(cause as Error).message}`, { cause, hint });
  }
  const projects = new Set<string>();
  const stages: Record<string, RenderedStage[]> = {};
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) {
        throw new KargoInfraError(InfraErrorCode.InvalidKargoTree, `${join(dir, relative(root, file))}: not valid YAML: ${doc.errors[0]?.message ?? ''}`, { hint });
      }
      const obj: unknown = doc.toJS();
      if (!isObject(obj) || typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('kargo.akuity.io/')) continue;
      const meta = isObject(obj.metadata) ? obj.metadata : {};
      if (obj.kind === 'Project' && typeof meta.name === 'string') projects.add(meta.name);
      if (obj.kind === 'Stage' && typeof meta.name === 'string' && typeof meta.namespace === 'string') {
        const spec = isObject(obj.spec) ? obj.spec : {};
        const template = isObject(spec.promotionTemplate) && isObject(spec.promotionTemplate.spec) ? spec.promotionTemplate.spec : {};
        const steps = (Array.isArray(template.steps) ? template.steps : []).filter(isObject);
        const gitSteps = steps.map((s) => s.uses).filter((u): u is string => typeof u === 'string' && GIT_WRITE_STEPS.has(u));
        const repoURLs = steps
          .filter((s) => s.uses === 'git-clone' && isObject(s.config) && typeof s.config.repoURL === 'string')
          .map((s) => (s.config as Loose).repoURL as string);
        (stages[meta.namespace] ??= []).push({ name: meta.name, gitSteps, repoURLs });
      }
    }
  }
  if (projects.size === 0) {
    throw new KargoInfraError(InfraErrorCode.InvalidKargoTree, `the rendered kargo tree ${dir} holds no Kargo Project`, { hint });
  }
  return { dir, projects: [...projects].sort(), stages };
}

/**
 * The warning the program logs when `gitCredentials` is not set: which promotions will fail, and the command
 * that sets it. Undefined when no Stage writes to Git.
 */
export function missingGitCredentialsWarning(tree: KargoTree, projects: readonly string[], repoURL: string): string | undefined {
  const failing = projects.flatMap((p) =>
    (tree.stages[p] ?? []).filter((s) => s.gitSteps.length > 0).map((s) => `${p}/${s.name} (${[...new Set(s.gitSteps)].join(', ')})`),
  );
  if (failing.length === 0) return undefined;
  return [
    `gitCredentials is not set: Kargo has no write access to ${repoURL}, so every promotion of these Stages will fail at its first Git step: ${failing.join(', ')}.`,
    "Set a token with Contents and Pull requests read/write on that repository (see infra/README.md, \"Git credentials\"):",
    `  pulumi config set --secret gitCredentials '{"username":"<github-user>","password":"<token>"}'`,
    `or a GitHub App: pulumi config set --secret gitCredentials '{"githubAppID":"<id>","githubAppInstallationID":"<id>","githubAppPrivateKey":"<PEM>"}'`,
  ].join('\n');
}

export interface KargoProjectsArgs {
  /** Project names (their namespaces). */
  readonly projects: readonly string[];
  /** Create each namespace, labelled for Kargo; false: they exist already (labelled by you). @default true */
  readonly createNamespaces?: boolean;
  /** The GitOps repository promotions push to: the Secret's `repoURL`. */
  readonly gitRepoURL: string;
  /** Git write credentials; no Secret when absent. */
  readonly gitCredentials?: GitCredentials | undefined;
  /**
   * What the namespaces wait for: the Kargo release, so that on removal they are deleted while Kargo's controller
   * still runs and can drop the finalizer it puts on Project namespaces.
   */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Per Project: the namespace, labelled `kargo.akuity.io/project: "true"` (Kargo then adopts it instead of refusing
 * the Project), and with `gitCredentials` the Secret labelled `kargo.akuity.io/cred-type: git` holding `repoURL`
 * and the credential keys (and annotated with the repoURL, `GIT_REPO_URL_ANNOTATION`), after its namespace.
 */
export class KargoProjects extends pulumi.ComponentResource {
  /** The namespace resource of each Project (absent with createNamespaces=false). */
  readonly namespaces: ReadonlyMap<string, k8s.core.v1.Namespace>;
  /** Everything a Project's later objects (Secrets, the kargo-configs app) must wait for. */
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: KargoProjectsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('kargo:infra:KargoProjects', name, {}, opts);
    const namespaces = new Map<string, k8s.core.v1.Namespace>();
    const resources: pulumi.Resource[] = [];
    for (const project of args.projects) {
      const ns =
        args.createNamespaces === false
          ? undefined
          : new k8s.core.v1.Namespace(
              `${name}-namespace-${project}`,
              { metadata: { name: project, labels: { [PROJECT_NAMESPACE_LABEL]: 'true' } } },
              { parent: this, dependsOn: args.dependsOn ?? [] },
            );
      if (ns !== undefined) {
        namespaces.set(project, ns);
        resources.push(ns);
      }
      if (args.gitCredentials !== undefined) {
        const creds = args.gitCredentials;
        resources.push(
          new k8s.core.v1.Secret(
            `${name}-git-credentials-${project}`,
            {
              metadata: {
                name: GIT_CREDENTIALS_SECRET,
                namespace: ns === undefined ? project : ns.metadata.name,
                labels: { [GIT_CRED_TYPE_LABEL]: 'git' },
                // The same repoURL as the data, readable without reading the data (kargo-env doctor).
                annotations: { [GIT_REPO_URL_ANNOTATION]: args.gitRepoURL },
              },
              type: 'Opaque',
              stringData: {
                repoURL: args.gitRepoURL,
                // Each value taken from the secret config stays a secret Output.
                ...Object.fromEntries(creds.keys.map((k) => [k, pulumi.secret(creds.data.apply((d) => d[k] ?? ''))])),
              },
            },
            { parent: this, dependsOn: ns === undefined ? (args.dependsOn ?? []) : [ns] },
          ),
        );
      }
    }
    this.namespaces = namespaces;
    this.resources = resources;
    this.registerOutputs({});
  }
}
