// The `config` of every OSS built-in promotion step, typed after Kargo v1.11.2's
// pkg/promotion/runner/builtin/schemas/<step>-config.json. Kargo evaluates expressions before it
// validates a config, so every field the schema types as number, boolean, array or object also
// takes an expression string, and enum/pattern strings take one too. `additionalProperties: false`
// maps to strictObject; compose-output and git-tag leave it open and so does the model.
import { z } from 'zod';
import { STEP_DURATION, enumOrExpr, exprOr, isExpression, isSet, patternOrExpr } from './common.ts';

// ---- field helpers -------------------------------------------------------------------------

const str1 = z.string().min(1);
const bool = exprOr(z.boolean(), 'a boolean');
const int = (min: number, max?: number) => exprOr(max === undefined ? z.int().min(min) : z.int().min(min).max(max), 'an integer');
const arr = <T extends z.ZodType>(item: T, minItems = 0) => exprOr(z.array(item).min(minItems), 'an array');
const obj = <T extends z.ZodType>(schema: T) => exprOr(schema, 'an object');
const stringMap = obj(z.record(z.string(), z.string()));
const duration = patternOrExpr(STEP_DURATION, 'must be a Go duration such as 30s, 5m or 1h30m');
const uri = z.string().min(1).refine((v) => isExpression(v) || URL.canParse(v), { message: 'must be an absolute URI' });
const email = exprOr(z.email(), 'an email address');

export const GIT_PROVIDERS = ['azure', 'bitbucket', 'gitea', 'github', 'gitlab'] as const;
export type GitProvider = (typeof GIT_PROVIDERS)[number];
const provider = enumOrExpr(GIT_PROVIDERS);

const custom = (ctx: z.RefinementCtx, path: PropertyKey[], message: string, code = 'one-of'): void => {
  ctx.addIssue({ code: 'custom', path, message, params: { code } });
};

/** Names of the fields in `fields` that are set (`""` counts as unset, as the schemas' `enum: ["", null]` say). */
function setFields(value: Record<string, unknown>, fields: readonly string[]): string[] {
  return fields.filter((f) => isSet(value[f]));
}

function atMostOne(fields: readonly string[], code = 'at-most-one-of') {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const set = setFields(value, fields);
    if (set.length > 1) custom(ctx, [set[1] as string], `set at most one of ${fields.join(', ')} (found ${set.join(' and ')})`, code);
  };
}

function exactlyOne(fields: readonly string[]) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const set = setFields(value, fields);
    if (set.length !== 1) {
      custom(ctx, set.length === 0 ? [] : [set[1] as string], `set exactly one of ${fields.join(', ')}${set.length > 1 ? ` (found ${set.join(' and ')})` : ''}`, 'exactly-one-of');
    }
  };
}

const nameValue = z.strictObject({ name: str1, value: str1 });
const nameFromExpression = z.strictObject({ name: str1, fromExpression: str1 });

// ---- Argo CD ---------------------------------------------------------------------------------

export const ArgoCDAppSelectorSchema = z
  .strictObject({
    matchLabels: stringMap.optional(),
    matchExpressions: arr(
      obj(
        z.strictObject({
          key: str1,
          operator: enumOrExpr(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: arr(z.string()).optional(),
        }),
      ),
    ).optional(),
  })
  .superRefine((sel, ctx) => {
    const labels = sel.matchLabels;
    const exprs = sel.matchExpressions;
    const hasLabels = labels !== undefined && (typeof labels === 'string' || Object.keys(labels).length > 0);
    const hasExprs = exprs !== undefined && (typeof exprs === 'string' || exprs.length > 0);
    if (!hasLabels && !hasExprs) custom(ctx, [], 'a selector needs a non-empty matchLabels or matchExpressions', 'empty-selector');
  });

function nameXorSelector(app: { name?: string | undefined; selector?: unknown }, ctx: z.RefinementCtx): void {
  const hasName = isSet(app.name);
  const hasSelector = app.selector !== undefined && app.selector !== null;
  if (hasName === hasSelector) custom(ctx, hasName ? ['selector'] : [], 'an app sets exactly one of name or selector', 'exactly-one-of');
}

const ArgoCDKustomizeImageUpdateSchema = z
  .strictObject({ repoURL: str1, digest: z.string().optional(), newName: str1.optional(), tag: z.string().optional() })
  .superRefine(atMostOne(['digest', 'tag']));

const ArgoCDAppSourceUpdateSchema = z
  .strictObject({
    repoURL: str1,
    chart: str1.optional(),
    desiredRevision: str1.optional(),
    helm: obj(z.strictObject({ images: arr(obj(z.strictObject({ key: str1, value: z.string() })), 1) })).optional(),
    kustomize: obj(z.strictObject({ images: arr(obj(ArgoCDKustomizeImageUpdateSchema), 1).optional() })).optional(),
    updateTargetRevision: bool.optional(),
  })
  .superRefine((src, ctx) => {
    // Upstream oneOf: either desiredRevision is set, or updateTargetRevision is not true.
    if (!isSet(src.desiredRevision) && src.updateTargetRevision === true) {
      custom(ctx, ['updateTargetRevision'], 'updateTargetRevision: true needs desiredRevision (the schema allows it only beside one)');
    }
  });

export const ArgoCDUpdateConfigSchema = z.strictObject({
  apps: arr(
    obj(
      z
        .strictObject({
          name: str1.optional(),
          namespace: str1.optional(),
          selector: obj(ArgoCDAppSelectorSchema).optional(),
          sources: arr(obj(ArgoCDAppSourceUpdateSchema), 1).optional(),
        })
        .superRefine(nameXorSelector),
    ),
    1,
  ),
});
export type ArgoCDUpdateConfig = z.infer<typeof ArgoCDUpdateConfigSchema>;

export const ARGOCD_WAIT_FOR = ['health', 'sync', 'operation', 'suspended', 'degraded'] as const;
export type ArgoCDWaitFor = (typeof ARGOCD_WAIT_FOR)[number];

export const ArgoCDWaitConfigSchema = z.strictObject({
  apps: arr(
    obj(
      z
        .strictObject({
          name: str1.optional(),
          namespace: str1.optional(),
          selector: obj(ArgoCDAppSelectorSchema).optional(),
          waitFor: arr(enumOrExpr(ARGOCD_WAIT_FOR), 1)
            .refine((v) => typeof v === 'string' || new Set(v).size === v.length, { message: 'waitFor items must be unique' })
            .optional(),
        })
        .superRefine(nameXorSelector),
    ),
    1,
  ),
});
export type ArgoCDWaitConfig = z.infer<typeof ArgoCDWaitConfigSchema>;

// ---- files -----------------------------------------------------------------------------------

/** Any key/value pairs (at least one), exposed as the step's outputs. */
export const ComposeOutputConfigSchema = z
  .record(z.string(), z.unknown())
  .refine((v) => Object.keys(v).length > 0, { message: 'compose-output needs at least one key' });
export type ComposeOutputConfig = z.infer<typeof ComposeOutputConfigSchema>;

export const CopyConfigSchema = z.strictObject({ inPath: str1, outPath: str1, ignore: str1.optional() });
export type CopyConfig = z.infer<typeof CopyConfigSchema>;

export const DeleteConfigSchema = z
  .strictObject({
    path: str1.optional(),
    /** v1.11.0 */
    paths: arr(str1, 1).optional(),
    /** v1.11.0, default false. */
    pathsAreGlobs: bool.optional(),
    /** Default false. */
    strict: bool.optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.path === undefined) === (v.paths === undefined)) {
      custom(ctx, v.path === undefined ? [] : ['paths'], 'set exactly one of path or paths', 'exactly-one-of');
    }
  });
export type DeleteConfig = z.infer<typeof DeleteConfigSchema>;

export const FailConfigSchema = z.strictObject({ message: str1.optional() });
export type FailConfig = z.infer<typeof FailConfigSchema>;

export const FileWriteConfigSchema = z.strictObject({
  path: str1,
  contents: z.string(),
  /** Octal, e.g. `0644`. */
  permissions: patternOrExpr(/^0[0-7]{3}$/u, 'must be octal permissions such as 0644').optional(),
  /** Default false. */
  overwrite: bool.optional(),
});
export type FileWriteConfig = z.infer<typeof FileWriteConfigSchema>;

export const UntarConfigSchema = z.strictObject({
  inPath: str1,
  outPath: str1,
  stripComponents: int(0).optional(),
  ignore: str1.optional(),
});
export type UntarConfig = z.infer<typeof UntarConfigSchema>;

// ---- Git -------------------------------------------------------------------------------------

const GitAuthorSchema = z.strictObject({ email, name: str1, signingKey: z.string().optional() });

export const GitCloneCheckoutSchema = z
  .strictObject({
    as: z.string().optional(),
    branch: z.string().optional(),
    commit: z.string().optional(),
    create: bool.optional(),
    path: str1,
    tag: z.string().optional(),
    sparse: arr(str1, 1).optional(),
  })
  .superRefine(atMostOne(['branch', 'commit', 'tag']));

export const GitCloneConfigSchema = z.strictObject({
  insecureSkipTLSVerify: bool.optional(),
  recurseSubmodules: bool.optional(),
  blobless: bool.optional(),
  repoURL: str1,
  author: obj(GitAuthorSchema).optional(),
  checkout: arr(obj(GitCloneCheckoutSchema), 1),
});
export type GitCloneConfig = z.infer<typeof GitCloneConfigSchema>;

export const GitClearConfigSchema = z.strictObject({ path: str1 });
export type GitClearConfig = z.infer<typeof GitClearConfigSchema>;

export const GitCommitConfigSchema = z.strictObject({
  /** @deprecated since v1.10.0: set the author on git-clone or in ClusterConfig.spec.gitClient. */
  author: obj(GitAuthorSchema).optional(),
  message: str1,
  path: str1,
});
export type GitCommitConfig = z.infer<typeof GitCommitConfigSchema>;

export const GitMergePRConfigSchema = z.strictObject({
  repoURL: uri,
  prNumber: int(1),
  provider: provider.optional(),
  insecureSkipTLSVerify: bool.optional(),
  wait: bool.optional(),
  pollInterval: duration.optional(),
  /** v1.10.0 */
  mergeMethod: str1.optional(),
});
export type GitMergePRConfig = z.infer<typeof GitMergePRConfigSchema>;

export const GitOpenPRConfigSchema = z.strictObject({
  /** @deprecated */
  createTargetBranch: bool.optional(),
  insecureSkipTLSVerify: bool.optional(),
  provider: provider.optional(),
  repoURL: uri,
  sourceBranch: str1,
  targetBranch: str1,
  title: str1.optional(),
  labels: arr(str1).optional(),
});
export type GitOpenPRConfig = z.infer<typeof GitOpenPRConfigSchema>;

/** The branch rules git-push and github-push share: at most one of generateTargetBranch: true / targetBranch (/ tag). */
function pushTargets(withTag: boolean) {
  return (v: { generateTargetBranch?: unknown; targetBranch?: string | undefined; tag?: string | undefined; force?: unknown }, ctx: z.RefinementCtx): void => {
    const targets: string[] = [];
    if (v.generateTargetBranch === true) targets.push('generateTargetBranch');
    if (isSet(v.targetBranch)) targets.push('targetBranch');
    if (withTag && isSet(v.tag)) targets.push('tag');
    if (targets.length > 1) {
      custom(ctx, [targets[1] as string], `set at most one of generateTargetBranch: true, targetBranch${withTag ? ', tag' : ''} (found ${targets.join(' and ')})`, 'at-most-one-of');
    }
    if (withTag && isSet(v.tag) && v.force === true) custom(ctx, ['force'], 'force cannot be used when pushing a tag', 'push-tag-force');
  };
}

export const GitPushConfigSchema = z
  .strictObject({
    generateTargetBranch: bool.optional(),
    maxAttempts: int(1, 2147483647).optional(),
    path: str1,
    targetBranch: z.string().optional(),
    provider: provider.optional(),
    /** Default false. */
    force: bool.optional(),
    tag: z.string().optional(),
  })
  .superRefine(pushTargets(true));
export type GitPushConfig = z.infer<typeof GitPushConfigSchema>;

/** The upstream schema sets no additionalProperties: false here, so other keys pass (typed `unknown`). */
export const GitTagConfigSchema = z.looseObject({
  /** v1.11.0, default false. */
  force: bool.optional(),
  message: str1,
  tag: str1,
  path: str1,
});
export type GitTagConfig = z.infer<typeof GitTagConfigSchema>;

export const GitWaitForPRConfigSchema = z.strictObject({
  insecureSkipTLSVerify: bool.optional(),
  provider: provider.optional(),
  /** v1.11.0, default 30s. */
  pollInterval: duration.optional(),
  prNumber: int(1),
  repoURL: uri,
});
export type GitWaitForPRConfig = z.infer<typeof GitWaitForPRConfigSchema>;

export const GitHubPushConfigSchema = z
  .strictObject({
    path: str1,
    generateTargetBranch: bool.optional(),
    targetBranch: z.string().optional(),
    /** Default false. */
    force: bool.optional(),
    maxAttempts: int(1, 2147483647).optional(),
    /** Default false. */
    insecureSkipTLSVerify: bool.optional(),
  })
  .superRefine(pushTargets(false));
export type GitHubPushConfig = z.infer<typeof GitHubPushConfigSchema>;

// ---- Helm and Kustomize ----------------------------------------------------------------------

export const HelmTemplateConfigSchema = z.strictObject({
  path: str1,
  outPath: str1,
  /** v1.7.0 */
  outLayout: enumOrExpr(['helm', 'flat']).optional(),
  releaseName: str1,
  useReleaseName: bool.optional(),
  namespace: z.string().optional(),
  valuesFiles: arr(str1).optional(),
  ignoreMissingValueFiles: bool.optional(),
  setValues: arr(obj(z.strictObject({ key: str1, value: z.string(), literal: bool.optional() }))).optional(),
  buildDependencies: bool.optional(),
  includeCRDs: bool.optional(),
  disableHooks: bool.optional(),
  skipTests: bool.optional(),
  kubeVersion: z.string().optional(),
  apiVersions: arr(str1).optional(),
});
export type HelmTemplateConfig = z.infer<typeof HelmTemplateConfigSchema>;

export const HelmUpdateChartConfigSchema = z.strictObject({
  path: str1,
  charts: arr(obj(z.strictObject({ repository: str1, name: str1, version: str1 })), 1).optional(),
});
export type HelmUpdateChartConfig = z.infer<typeof HelmUpdateChartConfigSchema>;

export const KustomizeBuildConfigSchema = z.strictObject({
  path: str1,
  outPath: str1,
  outputFormat: enumOrExpr(['kargo', 'kustomize']).optional(),
  plugin: obj(
    z.strictObject({
      helm: obj(z.strictObject({ apiVersions: arr(str1).optional(), kubeVersion: z.string().optional() })).optional(),
    }),
  ).optional(),
});
export type KustomizeBuildConfig = z.infer<typeof KustomizeBuildConfigSchema>;

export const KustomizeSetImageSchema = z
  .strictObject({
    digest: z.string().optional(),
    image: str1,
    name: z.string().optional(),
    newName: z.string().optional(),
    tag: z.string().optional(),
  })
  .superRefine(exactlyOne(['tag', 'digest']));

export const KustomizeSetImageConfigSchema = z.strictObject({
  path: str1,
  /** Omitted: every image of the Freight is set. Each item needs exactly one of tag or digest. */
  images: arr(obj(KustomizeSetImageSchema)).optional(),
});
export type KustomizeSetImageConfig = z.infer<typeof KustomizeSetImageConfigSchema>;

// ---- HTTP and OCI ----------------------------------------------------------------------------

export const HttpConfigSchema = z.strictObject({
  method: patternOrExpr(/^(DELETE|GET|HEAD|PATCH|POST|PUT)$/u, 'must be DELETE, GET, HEAD, PATCH, POST or PUT').optional(),
  url: str1,
  headers: arr(obj(nameValue)).optional(),
  queryParams: arr(obj(nameValue)).optional(),
  body: z.string().optional(),
  insecureSkipTLSVerify: bool.optional(),
  /** v1.11.0 */
  proxy: patternOrExpr(/^https?:\/\/.*$/u, 'must be an http:// or https:// URL').optional(),
  timeout: duration.optional(),
  pollInterval: duration.optional(),
  responseContentType: patternOrExpr(
    /^(application\/json|application\/yaml|text\/plain)$/u,
    'must be application/json, application/yaml or text/plain',
  ).optional(),
  outputs: arr(obj(nameFromExpression)).optional(),
  successExpression: z.string().optional(),
  failureExpression: z.string().optional(),
  /** v1.11.0 */
  errorExpression: z.string().optional(),
});
export type HttpConfig = z.infer<typeof HttpConfigSchema>;

export const HttpDownloadConfigSchema = z.strictObject({
  url: str1,
  outPath: str1,
  allowOverwrite: bool.optional(),
  headers: arr(obj(nameValue)).optional(),
  queryParams: arr(obj(nameValue)).optional(),
  insecureSkipTLSVerify: bool.optional(),
  timeout: duration.optional(),
});
export type HttpDownloadConfig = z.infer<typeof HttpDownloadConfigSchema>;

const OCI_REF = /^(oci:\/\/)?[a-zA-Z0-9._-]+(:\d+)?(\/[a-zA-Z0-9._-]+)*[@:][a-zA-Z0-9._:-]+$/u;
const OCI_TAG_REF = /^(oci:\/\/)?[a-zA-Z0-9._-]+(:\d+)?(\/[a-zA-Z0-9._-]+)*[:][a-zA-Z0-9._-]+$/u;

export const OCIDownloadConfigSchema = z.strictObject({
  imageRef: patternOrExpr(OCI_REF, 'must be an OCI reference with a tag or digest'),
  outPath: str1,
  allowOverwrite: bool.optional(),
  mediaType: str1.optional(),
  insecureSkipTLSVerify: bool.optional(),
});
export type OCIDownloadConfig = z.infer<typeof OCIDownloadConfigSchema>;

export const OCIPushConfigSchema = z.strictObject({
  srcRef: patternOrExpr(OCI_REF, 'must be an OCI reference with a tag or digest'),
  destRef: patternOrExpr(OCI_TAG_REF, 'must be an OCI reference with a tag'),
  annotations: stringMap.optional(),
  insecureSkipTLSVerify: bool.optional(),
});
export type OCIPushConfig = z.infer<typeof OCIPushConfigSchema>;

// ---- Kargo metadata --------------------------------------------------------------------------

export const SetFreightAliasConfigSchema = z.strictObject({ name: str1, alias: str1 });
export type SetFreightAliasConfig = z.infer<typeof SetFreightAliasConfigSchema>;

export const SetMetadataConfigSchema = z.strictObject({
  updates: arr(
    obj(
      z.strictObject({
        kind: enumOrExpr(['Stage', 'Freight']),
        name: str1,
        values: obj(z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length > 0, { message: 'values needs at least one key' })),
      }),
    ),
    1,
  ),
});
export type SetMetadataConfig = z.infer<typeof SetMetadataConfigSchema>;

// ---- structured files ------------------------------------------------------------------------

const parseConfig = () => z.strictObject({ path: str1, outputs: arr(obj(nameFromExpression), 1) });
/** `key` is a dot path (escape literal dots with `\.`); `value` is any JSON value and is required. */
const updateConfig = () => z.strictObject({ path: str1, updates: arr(obj(z.strictObject({ key: str1, value: z.json() })), 1) });

export const JSONParseConfigSchema = parseConfig();
export type JSONParseConfig = z.infer<typeof JSONParseConfigSchema>;
export const JSONUpdateConfigSchema = updateConfig();
export type JSONUpdateConfig = z.infer<typeof JSONUpdateConfigSchema>;
export const YAMLParseConfigSchema = parseConfig();
export type YAMLParseConfig = z.infer<typeof YAMLParseConfigSchema>;
export const YAMLUpdateConfigSchema = updateConfig();
export type YAMLUpdateConfig = z.infer<typeof YAMLUpdateConfigSchema>;
export const TOMLParseConfigSchema = parseConfig();
export type TOMLParseConfig = z.infer<typeof TOMLParseConfigSchema>;
export const TOMLUpdateConfigSchema = updateConfig();
export type TOMLUpdateConfig = z.infer<typeof TOMLUpdateConfigSchema>;

export const YAMLMergeConfigSchema = z.strictObject({
  inFiles: arr(z.string(), 1),
  outFile: str1,
  /** Default false. */
  ignoreMissingFiles: bool.optional(),
});
export type YAMLMergeConfig = z.infer<typeof YAMLMergeConfigSchema>;
