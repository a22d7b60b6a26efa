import { Construct } from 'constructs';
import { PromotionMode, type AvailabilityStrategy, type FreightSources, type NotificationType, type Verification } from '@kargo/model';
import { ARGOCD_NAMESPACE, Annotation, KARGO_API_VERSION } from '../constants.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, checkName, compact } from './api-object.ts';

// PromotionMode, NotificationType and AvailabilityStrategy are the model's: one vocabulary for config and render.

/**
 * Where a Git-writing promotion reads and writes. One branch per environment: the promotion copies the chart
 * and the environment's values file from the source branch into the environment's branch, sets the tag and
 * commits there; the environment's Application tracks that branch. Other Stages' commits never move it, so the
 * revision `argocd-update` pins stays the one Argo CD syncs (Kargo v1.11.2 pkg/health/checker/builtin/argocd.go,
 * stageHealthForAppSync, compares them per source).
 */
export interface StageGitTarget {
  /** HTTPS URL of the repository holding the chart and the values files. */
  readonly repoURL: string;
  /** Source branch: the chart and render's values files; read, never written. */
  readonly sourceBranch: string;
  /** This environment's branch: promotions commit there (or open pull requests against it); Argo CD follows it. */
  readonly branch: string;
  /** Repository-relative path of this environment's values file (the same on both branches). */
  readonly valuesPath: string;
  /** Repository-relative folder of the chart when it lives in this repository (copied along). @default none */
  readonly chartPath?: string;
}

/** The Helm source of the Argo CD Application that `argocd` mode updates in place. */
export interface StageHelmSource {
  /** Must equal the Application source's repoURL. */
  readonly repoURL: string;
  /** Chart name for Helm (HTTP or OCI) repositories; omitted for a chart in Git. */
  readonly chart?: string;
}

export interface StageNotification {
  readonly kind: NotificationType;
  /** Secret in the Project namespace holding the incoming-webhook URL. */
  readonly secretName: string;
  /** Key of the URL in that Secret. @default `url` */
  readonly secretKey?: string;
}

export interface StageVerification {
  /** AnalysisTemplates to run after each promotion (kind defaults to a namespaced AnalysisTemplate). */
  readonly templates: readonly { readonly name: string; readonly kind?: 'AnalysisTemplate' | 'ClusterAnalysisTemplate' }[];
  /** Arguments for the AnalysisRuns; values may be Kargo expressions. @default [] */
  readonly args?: readonly { readonly name: string; readonly value: string }[];
}

export interface EnvironmentStageProps {
  /** Stage name (the environment). */
  readonly name: string;
  /** Project namespace. */
  readonly namespace: string;
  /** Warehouse the Freight originates from. */
  readonly warehouse: string;
  /** Image repository the promoted tag is read from (`imageFrom(vars.imageRepo)`). */
  readonly imageRepo: string;
  /** Upstream Stages; empty means Freight comes directly from the Warehouse. @default [] */
  readonly upstreams?: readonly string[];
  /** Freight must have been in an upstream Stage this long, e.g. `30m`. Needs upstreams. @default none */
  readonly soak?: string;
  /** With several upstreams: must Freight be verified in `All` or `OneOf` them. @default Kargo's (OneOf) */
  readonly availability?: AvailabilityStrategy;
  /** UI colour (palette name or CSS colour). @default none */
  readonly color?: string;
  /** UI description. @default none */
  readonly description?: string;
  /** How a promotion deploys. */
  readonly mode: PromotionMode;
  /**
   * Required for `git` and `pull-request`; ignored by `argocd`. Its repoURL must be one of the Application's
   * sources (argocd-update pins that source's desired revision to the promoted commit).
   */
  readonly git?: StageGitTarget;
  /** Required for `argocd`: the Application source whose Helm `image.tag` parameter is set. */
  readonly helmSource?: StageHelmSource;
  /** The Argo CD Application of this environment. */
  readonly app: { readonly name: string; readonly namespace?: string };
  /** Helm value key Kargo owns. @default `image.tag` */
  readonly tagKey?: string;
  /** Chat webhooks told after a successful promotion. @default [] */
  readonly notifications?: readonly StageNotification[];
  /** Verification run after each promotion. @default none */
  readonly verification?: StageVerification;
  /**
   * How long `argocd-update` may wait for its sync (`retry.timeout`, a Go duration). Deployment windows need it:
   * Argo CD keeps a blocked sync Running ("Sync operation blocked by sync window", controller/sync.go) and the
   * step waits with it, but only for its default 5 minutes (Kargo v1.11.2 argocd_updater.go, DefaultTimeout), after
   * which the promotion fails and Kargo never retries that Freight automatically. @default Kargo's (5m)
   */
  readonly syncTimeout?: string;
}

/**
 * The tag of the Freight being promoted, for a config value. quote() keeps it a string: Kargo turns a template's
 * result that parses as a number or bool into one (v1.11.2 pkg/expressions/json_templates.go, EvaluateTemplate),
 * so a tag like `1.10` would be written as 1.1 and `20240101` as a number Helm prints as 2.0240101e+07.
 */
export const PROMOTED_TAG = '${{ quote(imageFrom(vars.imageRepo).Tag) }}';
/** The tag inside text (commit messages), where the whole string stays a string. */
export const PROMOTED_TAG_TEXT = '${{ imageFrom(vars.imageRepo).Tag }}';
/** The full reference of the image being promoted (for scanners). */
export const PROMOTED_IMAGE = '${{ vars.imageRepo }}:${{ imageFrom(vars.imageRepo).Tag }}';

/** The commit `git-push` (alias `push`) wrote to the environment's branch, in `git` mode. */
export const PUSHED_COMMIT = '${{ outputs.push.commit }}';
/** The merge commit `git-wait-for-pr` (alias `wait-for-pr`) reports once the pull request merged. */
export const MERGED_COMMIT = "${{ outputs['wait-for-pr'].commit }}";

/**
 * Guards of the pull-request steps. Kargo runs a step without `if` unless an earlier one failed, but git-commit
 * is Skipped when nothing changed (git_commiter.go) and git-open-pr is Skipped when the branches do not differ
 * (git_pr_opener.go); the steps after them would then read outputs that do not exist. `status()` and
 * `success()` are Kargo's (pkg/expressions/function/functions.go).
 */
export const PR_GUARDS = {
  push: "${{ success() && status('commit') == 'Succeeded' }}",
  openPr: "${{ success() && status('push') == 'Succeeded' }}",
  waitForPr: "${{ success() && status('open-pr') == 'Succeeded' }}",
  merged: "${{ success() && status('wait-for-pr') == 'Succeeded' }}",
  unchanged: "${{ success() && status('wait-for-pr') != 'Succeeded' }}",
} as const;

const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
/** Work-tree folders of a promotion: the source branch, and the environment's branch it writes. */
const SRC = './src';
const OUT = './out';

type Step = Readonly<{ uses: string; as?: string; if?: string; continueOnError?: boolean; retry?: { timeout: string }; config: Record<string, unknown> }>;

/**
 * One Stage per environment: where its Freight comes from (Warehouse or upstream Stages), the
 * promotion steps of its mode, notifications, and verification.
 */
export class EnvironmentStage extends Construct {
  readonly stageName: string;

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    super(scope, id);
    const what = 'EnvironmentStage';
    checkName(what, props.name);
    const upstreams = props.upstreams ?? [];
    if (new Set(upstreams).size !== upstreams.length) throw invalidProps(what, props.name, 'an upstream is listed twice');
    if (upstreams.includes(props.name)) throw invalidProps(what, props.name, 'a stage cannot be its own upstream');
    if (props.soak !== undefined) {
      if (upstreams.length === 0) throw invalidProps(what, props.name, 'a soak time needs an upstream stage to soak in');
      if (!DURATION.test(props.soak)) throw invalidProps(what, props.name, `soak "${props.soak}" is not a duration like 30m`);
    }
    if (props.availability !== undefined && upstreams.length < 2) {
      throw invalidProps(what, props.name, 'an availability strategy needs at least two upstream stages (fan-in)');
    }
    if ((props.mode === PromotionMode.Git || props.mode === PromotionMode.PullRequest) && props.git === undefined) {
      throw invalidProps(what, props.name, `promotion mode "${props.mode}" needs a git target`);
    }
    if (props.mode === PromotionMode.ArgoCD && props.helmSource === undefined) {
      throw invalidProps(what, props.name, 'promotion mode "argocd" needs the Application\'s Helm source');
    }
    if (props.syncTimeout !== undefined && !DURATION.test(props.syncTimeout)) {
      throw invalidProps(what, props.name, `sync timeout "${props.syncTimeout}" is not a duration like 64h30m`);
    }
    if (props.git !== undefined && props.git.branch === props.git.sourceBranch) {
      throw invalidProps(what, props.name, `the environment's branch "${props.git.branch}" must differ from the source branch`);
    }
    if (props.verification !== undefined && props.verification.templates.length === 0) {
      throw invalidProps(what, props.name, 'verification lists no AnalysisTemplates');
    }
    this.stageName = props.name;

    const annotations = compact({ [Annotation.color]: props.color, [Annotation.description]: props.description });
    const sources: FreightSources = upstreams.length === 0
      ? { direct: true }
      : compact({ stages: [...upstreams], requiredSoakTime: props.soak, availabilityStrategy: props.availability });

    const spec: Record<string, unknown> = {
      vars: [{ name: 'imageRepo', value: props.imageRepo }],
      requestedFreight: [{ origin: { kind: 'Warehouse', name: props.warehouse }, sources }],
      promotionTemplate: { spec: { steps: promotionSteps(props) } },
    };
    if (props.verification !== undefined) {
      spec.verification = compact<Verification>({
        analysisTemplates: props.verification.templates.map((t) => compact({ name: t.name, kind: t.kind })),
        args: props.verification.args !== undefined && props.verification.args.length > 0
          ? props.verification.args.map((a) => ({ name: a.name, value: a.value }))
          : undefined,
      });
    }
    addManifest(this, 'Stage', {
      apiVersion: KARGO_API_VERSION,
      kind: 'Stage',
      metadata: compact({
        name: props.name,
        namespace: props.namespace,
        annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
      }),
      spec,
    });
  }
}

/** The promotion steps of one Stage, in execution order. */
export function promotionSteps(props: EnvironmentStageProps): Step[] {
  const tagKey = props.tagKey ?? 'image.tag';
  const app = { name: props.app.name, namespace: props.app.namespace ?? ARGOCD_NAMESPACE };
  const retry = props.syncTimeout === undefined ? {} : { retry: { timeout: props.syncTimeout } };
  const steps: Step[] = [];
  const message = `Promote ${props.imageRepo.split('/').at(-1) ?? props.imageRepo} ${PROMOTED_TAG_TEXT} to ${props.name}`;
  if (props.mode === PromotionMode.ArgoCD) {
    const source = props.helmSource;
    steps.push({
      uses: 'argocd-update',
      as: 'update-app',
      ...retry,
      config: {
        apps: [{
          ...app,
          sources: [compact({ repoURL: source?.repoURL, chart: source?.chart, helm: { images: [{ key: tagKey, value: PROMOTED_TAG }] } })],
        }],
      },
    });
  } else {
    const git = props.git;
    if (git === undefined) throw invalidProps('EnvironmentStage', props.name, `promotion mode "${props.mode}" needs a git target`);
    // The environment's branch is rebuilt from the source branch on every promotion (git-clear, then copy), so
    // it holds exactly the chart and values this promotion deploys; `create` makes it on the first promotion
    // (git_cloner.go, ensureRemoteBranch), which git-open-pr needs as its target.
    steps.push(
      { uses: 'git-clone', as: 'clone', config: { repoURL: git.repoURL, checkout: [{ branch: git.sourceBranch, path: SRC }, { branch: git.branch, create: true, path: OUT }] } },
      { uses: 'git-clear', as: 'clear', config: { path: OUT } },
    );
    if (git.chartPath !== undefined) steps.push({ uses: 'copy', as: 'copy-chart', config: { inPath: `${SRC}/${git.chartPath}`, outPath: `${OUT}/${git.chartPath}` } });
    steps.push(
      { uses: 'copy', as: 'copy-values', config: { inPath: `${SRC}/${git.valuesPath}`, outPath: `${OUT}/${git.valuesPath}` } },
      { uses: 'yaml-update', as: 'update-values', config: { path: `${OUT}/${git.valuesPath}`, updates: [{ key: tagKey, value: PROMOTED_TAG }] } },
      { uses: 'git-commit', as: 'commit', config: { path: OUT, message } },
    );
    // desiredRevision makes Kargo's health check wait until Argo CD has synced the promoted commit, not merely
    // any revision. It goes on the source whose repoURL is this repository: the single source when the chart
    // lives here too, the `values` ref source when the chart comes from elsewhere.
    if (props.mode === PromotionMode.Git) {
      steps.push(
        { uses: 'git-push', as: 'push', config: { path: OUT, targetBranch: git.branch } },
        { uses: 'argocd-update', as: 'update-app', ...retry, config: { apps: [{ ...app, sources: [{ repoURL: git.repoURL, desiredRevision: PUSHED_COMMIT }] }] } },
      );
    } else {
      steps.push(
        { uses: 'git-push', as: 'push', if: PR_GUARDS.push, config: { path: OUT, generateTargetBranch: true } },
        {
          uses: 'git-open-pr',
          as: 'open-pr',
          if: PR_GUARDS.openPr,
          config: { repoURL: git.repoURL, sourceBranch: '${{ outputs.push.branch }}', targetBranch: git.branch, title: message },
        },
        // pr.id is the output since 1.7 (the prNumber output was removed).
        { uses: 'git-wait-for-pr', as: 'wait-for-pr', if: PR_GUARDS.waitForPr, config: { repoURL: git.repoURL, prNumber: "${{ outputs['open-pr'].pr.id }}" } },
        { uses: 'argocd-update', as: 'update-app', if: PR_GUARDS.merged, ...retry, config: { apps: [{ ...app, sources: [{ repoURL: git.repoURL, desiredRevision: MERGED_COMMIT }] }] } },
        // Nothing to merge (the same Freight again, or the branch already had it): sync what the branch holds,
        // without pinning a revision no step produced (an empty desiredRevision fails the step's schema).
        { uses: 'argocd-update', as: 'sync-unchanged', if: PR_GUARDS.unchanged, ...retry, config: { apps: [{ ...app }] } },
      );
    }
  }
  const seen = new Map<string, number>();
  for (const n of props.notifications ?? []) {
    const count = (seen.get(n.kind) ?? 0) + 1;
    seen.set(n.kind, count);
    steps.push(notificationStep(props.name, n, count === 1 ? `notify-${n.kind}` : `notify-${n.kind}-${count}`));
  }
  return steps;
}

function notificationStep(stage: string, n: StageNotification, alias: string): Step {
  checkName('EnvironmentStage notification secret', n.secretName, 'subdomain');
  const key = n.secretKey ?? 'url';
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw invalidProps('EnvironmentStage', stage, `notification secret key "${key}" is not a Secret data key`);
  const read = /^[A-Za-z_]\w*$/.test(key) ? `.${key}` : `['${key}']`;
  const text = '"Kargo promoted " + vars.imageRepo + ":" + imageFrom(vars.imageRepo).Tag + " to " + ctx.stage + " (project " + ctx.project + ")"';
  return {
    uses: 'http',
    as: alias,
    // Runs only when every earlier step succeeded; a chat outage must not fail a deployed promotion.
    if: '${{ success() }}',
    continueOnError: true,
    config: {
      method: 'POST',
      url: `\${{ secret('${n.secretName}')${read} }}`,
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      // Slack and Teams incoming webhooks both accept {"text": …}; quote() keeps the body a JSON string.
      body: `\${{ quote({"text": ${text}}) }}`,
      timeout: '30s',
    },
  };
}
