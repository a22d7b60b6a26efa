// `kargo-env rehearse`'s engine: run each Stage's Git-touching promotion steps against a real Git repository
// (a scratch copy of the user's), with Kargo v1.11.2's semantics, and check that the result would deploy.
//
//   await using r = await Rehearsal.open({ repo, config, objects });   // bare clone of `repo` = the "remote"
//   const p = r.promotion('staging', '1.2.0');                          // nothing runs yet
//   await p.runUntil('argocd-update');                                  // every step before the first argocd-update
//   const result = await p.runRest();                                   // the rest; phase, steps, writes
//   await p.health();                                                   // the Application checks, now
//   await r.branchHead('env/staging');
//
// `rehearse(r, { tag, envs })` runs the selected Stages in promotion order and builds the report.
export { Rehearsal, Promotion, GENERATED_BRANCH_PREFIX, TAG_PATTERN, isRemoteUrl, placeholderDigest, selectPipeline, ulid } from './rehearsal.ts';
export type { PromotionResult, RehearsalFreight, RehearsalOptions } from './rehearsal.ts';
export { rehearse, formatReport, selectStages, sourceDrift, type RehearsalReport, type RehearseRun, type StageReport, type StepReport } from './run.ts';
export { objectsFromFiles, promotionOrder, stagePlan, type KubeObject, type StagePlan } from './objects.ts';
export { STEP_RUNNERS, notRehearsedReason, type PullRequest } from './steps.ts';
export { checkApplication, applicationSources } from './argocd.ts';
export { setValuesInBytes, splitKey, quoteIfNecessary, goQuote, goFormatValue, yamlUpdateCommitMessage, YamlUpdateError, type YamlUpdate } from './yaml-update.ts';
export { Git, GitError, REHEARSAL_AUTHOR, KARGO_DEFAULT_AUTHOR, DEFAULT_GIT_TIMEOUT_MS } from './git.ts';
export {
  PromotionPhase,
  StepStatus,
  StepFailure,
  type ApplicationCheck,
  type BranchWrite,
  type HealthCriterion,
  type PromotionStepSpec,
  type SourceCheck,
  type StepOutcome,
  type StepRecord,
} from './types.ts';
