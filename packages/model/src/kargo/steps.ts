// Promotion steps: a union discriminated on `uses` over every OSS built-in step of Kargo v1.11.2,
// plus task-reference steps (`task: {name, kind?}`), which only a Stage's promotion template may use.
import { z } from 'zod';
import { ResourceNameSchema, VarSchema } from './common.ts';
import {
  ArgoCDUpdateConfigSchema,
  ArgoCDWaitConfigSchema,
  ComposeOutputConfigSchema,
  CopyConfigSchema,
  DeleteConfigSchema,
  FailConfigSchema,
  FileWriteConfigSchema,
  GitClearConfigSchema,
  GitCloneConfigSchema,
  GitCommitConfigSchema,
  GitHubPushConfigSchema,
  GitMergePRConfigSchema,
  GitOpenPRConfigSchema,
  GitPushConfigSchema,
  GitTagConfigSchema,
  GitWaitForPRConfigSchema,
  HelmTemplateConfigSchema,
  HelmUpdateChartConfigSchema,
  HttpConfigSchema,
  HttpDownloadConfigSchema,
  JSONParseConfigSchema,
  JSONUpdateConfigSchema,
  KustomizeBuildConfigSchema,
  KustomizeSetImageConfigSchema,
  OCIDownloadConfigSchema,
  OCIPushConfigSchema,
  SetFreightAliasConfigSchema,
  SetMetadataConfigSchema,
  TOMLParseConfigSchema,
  TOMLUpdateConfigSchema,
  UntarConfigSchema,
  YAMLMergeConfigSchema,
  YAMLParseConfigSchema,
  YAMLUpdateConfigSchema,
} from './step-configs.ts';

/** Step name → schema of its `config`; one entry per `<name>-config.json` upstream. */
export const stepConfigSchemas = {
  'argocd-update': ArgoCDUpdateConfigSchema,
  'argocd-wait': ArgoCDWaitConfigSchema,
  'compose-output': ComposeOutputConfigSchema,
  copy: CopyConfigSchema,
  delete: DeleteConfigSchema,
  fail: FailConfigSchema,
  'file-write': FileWriteConfigSchema,
  'git-clear': GitClearConfigSchema,
  'git-clone': GitCloneConfigSchema,
  'git-commit': GitCommitConfigSchema,
  'git-merge-pr': GitMergePRConfigSchema,
  'git-open-pr': GitOpenPRConfigSchema,
  'git-push': GitPushConfigSchema,
  'git-tag': GitTagConfigSchema,
  'git-wait-for-pr': GitWaitForPRConfigSchema,
  'github-push': GitHubPushConfigSchema,
  'helm-template': HelmTemplateConfigSchema,
  'helm-update-chart': HelmUpdateChartConfigSchema,
  http: HttpConfigSchema,
  'http-download': HttpDownloadConfigSchema,
  'json-parse': JSONParseConfigSchema,
  'json-update': JSONUpdateConfigSchema,
  'kustomize-build': KustomizeBuildConfigSchema,
  'kustomize-set-image': KustomizeSetImageConfigSchema,
  'oci-download': OCIDownloadConfigSchema,
  'oci-push': OCIPushConfigSchema,
  'set-freight-alias': SetFreightAliasConfigSchema,
  'set-metadata': SetMetadataConfigSchema,
  'toml-parse': TOMLParseConfigSchema,
  'toml-update': TOMLUpdateConfigSchema,
  untar: UntarConfigSchema,
  'yaml-merge': YAMLMergeConfigSchema,
  'yaml-parse': YAMLParseConfigSchema,
  'yaml-update': YAMLUpdateConfigSchema,
} as const;

export type StepName = keyof typeof stepConfigSchemas;
export const STEP_NAMES = Object.keys(stepConfigSchemas) as readonly StepName[];
/** The `config` type of step `N`. */
export type StepConfig<N extends StepName> = z.infer<(typeof stepConfigSchemas)[N]>;

export const StepRetrySchema = z.strictObject({
  /** Go duration, e.g. `10m`. */
  timeout: z.string().min(1).optional(),
  /** Consecutive errors tolerated before the step fails (a uint32 in Kargo's Go type). */
  errorThreshold: z.int().min(0).max(2147483647).optional(),
});
export type StepRetry = z.infer<typeof StepRetrySchema>;

const TASK_WITH_USES = 'a step sets exactly one of uses or task; a step that sets uses cannot reference a task';

const stepCommon = {
  /** Alias; later steps read this step's outputs as `outputs.<as>`. */
  as: z.string().optional(),
  /** Expression; the step runs only when it is true. */
  if: z.string().optional(),
  vars: z.array(VarSchema).optional(),
};

const usesCommon = {
  ...stepCommon,
  continueOnError: z.boolean().optional(),
  retry: StepRetrySchema.optional(),
  task: z.undefined({ error: TASK_WITH_USES }).optional(),
};

function builtinStep<N extends StepName>(name: N) {
  return z.strictObject({ uses: z.literal(name), ...usesCommon, config: stepConfigSchemas[name] });
}

const builtinSteps = [
  builtinStep('argocd-update'),
  builtinStep('argocd-wait'),
  builtinStep('compose-output'),
  builtinStep('copy'),
  builtinStep('delete'),
  // fail-config.json accepts {}, so its config may be left out.
  z.strictObject({ uses: z.literal('fail'), ...usesCommon, config: FailConfigSchema.optional() }),
  builtinStep('file-write'),
  builtinStep('git-clear'),
  builtinStep('git-clone'),
  builtinStep('git-commit'),
  builtinStep('git-merge-pr'),
  builtinStep('git-open-pr'),
  builtinStep('git-push'),
  builtinStep('git-tag'),
  builtinStep('git-wait-for-pr'),
  builtinStep('github-push'),
  builtinStep('helm-template'),
  builtinStep('helm-update-chart'),
  builtinStep('http'),
  builtinStep('http-download'),
  builtinStep('json-parse'),
  builtinStep('json-update'),
  builtinStep('kustomize-build'),
  builtinStep('kustomize-set-image'),
  builtinStep('oci-download'),
  builtinStep('oci-push'),
  builtinStep('set-freight-alias'),
  builtinStep('set-metadata'),
  builtinStep('toml-parse'),
  builtinStep('toml-update'),
  builtinStep('untar'),
  builtinStep('yaml-merge'),
  builtinStep('yaml-parse'),
  builtinStep('yaml-update'),
] as const;

const unknownStep = (input: unknown): string => {
  const uses = (input as { uses?: unknown } | null)?.uses;
  return uses === undefined
    ? 'a step in a Promotion or PromotionTask must set uses (task references are only for Stage promotion templates)'
    : `unknown step ${JSON.stringify(uses)}: expected an OSS built-in step (${STEP_NAMES.join(', ')})`;
};

/**
 * A step that runs a built-in step (`uses`). The only step form Promotions, PromotionTasks and
 * ClusterPromotionTasks accept. Enterprise-only and custom steps are not modelled and are rejected.
 */
export const BuiltinPromotionStepSchema = z.discriminatedUnion('uses', builtinSteps, {
  error: (issue) => (issue.code === 'invalid_union' ? unknownStep(issue.input) : undefined),
});
export type BuiltinPromotionStep = z.infer<typeof BuiltinPromotionStepSchema>;

export const PROMOTION_TASK_KINDS = ['PromotionTask', 'ClusterPromotionTask'] as const;
export type PromotionTaskKind = (typeof PROMOTION_TASK_KINDS)[number];

export const PromotionTaskReferenceSchema = z.strictObject({
  name: ResourceNameSchema,
  /** Default `PromotionTask` (in the Stage's namespace). */
  kind: z.enum(PROMOTION_TASK_KINDS).optional(),
});
export type PromotionTaskReference = z.infer<typeof PromotionTaskReferenceSchema>;

/** A step that expands a (Cluster)PromotionTask; it cannot set continueOnError or retry. */
export const TaskPromotionStepSchema = z.strictObject({
  uses: z.undefined().optional(),
  task: z.strictObject(PromotionTaskReferenceSchema.shape, {
    error: (issue) => (issue.input === undefined ? 'a step sets exactly one of uses or task' : undefined),
  }),
  ...stepCommon,
  continueOnError: z.undefined({ error: 'a step referencing a task cannot set continueOnError' }).optional(),
  retry: z.undefined({ error: 'a step referencing a task cannot set retry' }).optional(),
});
export type TaskPromotionStep = z.infer<typeof TaskPromotionStepSchema>;

/** A step of a Stage's promotion template: a built-in step (`uses`) or a task reference (`task`). */
export const PromotionStepSchema = z.discriminatedUnion('uses', [...builtinSteps, TaskPromotionStepSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? unknownStep(issue.input) : undefined),
});
export type PromotionStep = z.infer<typeof PromotionStepSchema>;
