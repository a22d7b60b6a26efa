// The rehearsal engine: a scratch copy of the user's repository stands in for the real remote, and each Stage's
// promotion steps run against it with Kargo's orchestration (v1.11.2 pkg/promotion/local_orchestrator.go
// ExecuteSteps, evaluator.go ShouldSkip/Vars/Config, orchestrator.go DetermineFinalPhase).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Pipeline, PipelineConfig } from '@kargo/model';
import type * as Manifests from '@kargo/model/manifests';
import { CliError, CliErrorCode, UsageError } from '../errors.ts';
import { checkApplication, type NormalizeGit } from './argocd.ts';
import { evaluateCondition, evaluateStepConfig, stepExpressionEnv, type ExpressionEnv } from './expressions.ts';
import { DEFAULT_GIT_TIMEOUT_MS, Git, GitError } from './git.ts';
import { promotionOrder, stagePlan, type KubeObject, type StagePlan } from './objects.ts';
import { notRehearsedReason, STEP_RUNNERS, type PullRequest, type PullRequestProvider, type StepHost } from './steps.ts';
import {
  PromotionPhase,
  StepFailure,
  StepStatus,
  type ApplicationCheck,
  type BranchWrite,
  type HealthCriterion,
  type PromotionStepSpec,
  type StepOutcome,
  type StepRecord,
} from './types.ts';

/** Branches git-push generates for pull requests (git_pusher.go): scratch, never pushed back. */
export const GENERATED_BRANCH_PREFIX = 'kargo/promotion/';

/**
 * The digest a rehearsal gives the promoted image: not the registry's (a rehearsal reaches no registry) but
 * `sha256:` + the SHA-256 of `kargo-env rehearse <repository>:<tag>`, stable for a tag and obviously synthetic.
 */
export function placeholderDigest(repository: string, tag: string): string {
  return `sha256:${createHash('sha256').update(`kargo-env rehearse ${repository}:${tag}`).digest('hex')}`;
}

/** Docker's tag grammar: a word character, then up to 127 word characters, dots and dashes. */
export const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (48-bit time, 80 random bits, Crockford base32), as Kargo puts in Promotion names. */
export function ulid(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = (CROCKFORD[t % 32] ?? '0') + time;
    t = Math.floor(t / 32);
  }
  const random = [...randomBytes(16)].map((b) => CROCKFORD[b % 32] ?? '0').join('');
  return time + random;
}

/** The Freight a rehearsal promotes: one image of the pipeline's repository. */
export interface RehearsalFreight {
  /** Kargo names Freight by a content hash; here the SHA-1 of `<repository>:<tag>@<digest>`. */
  readonly name: string;
  /** The Warehouse (the pipeline's name). */
  readonly origin: string;
  readonly image: { readonly repoURL: string; readonly tag: string; readonly digest: string };
}

export interface RehearsalOptions {
  /** The user's repository: a local path or a URL. Cloned (bare) into the scratch area; never written unless `push()`. */
  readonly repo: string;
  /** The normalised config (`loadConfig`). */
  readonly config: PipelineConfig;
  /** The rendered objects (`objectsFromFiles(renderTree(config).files)`): Stages and Applications are read from them. */
  readonly objects: readonly KubeObject[];
  /** Pipeline to rehearse; required when the config has several. */
  readonly pipeline?: string;
  /** Bound of each git call. @default 60 000 ms */
  readonly gitTimeoutMs?: number;
  /** Where the scratch area is made. @default the OS temp folder */
  readonly tmpDir?: string;
  /** The simulated reviewer of pull requests git-wait-for-pr waits on. @default every pull request is merged */
  readonly review?: (pr: PullRequest) => 'merge' | 'close';
  /** Environment git sees besides the rehearsal's own (PATH, proxies, SSH agent). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The outcome of one rehearsed promotion. */
export interface PromotionResult {
  readonly stage: string;
  readonly promotion: string;
  readonly freight: RehearsalFreight;
  readonly phase: PromotionPhase;
  /** True when the promotion Succeeded. */
  readonly ok: boolean;
  readonly steps: readonly StepRecord[];
  /** The first step that decided the phase (Kargo's "worst" step), when not Succeeded. */
  readonly failure?: { readonly alias: string; readonly uses: string; readonly status: StepStatus; readonly message: string };
  /** Branches this promotion wrote, environment branches first. */
  readonly writes: readonly BranchWrite[];
  /** The environment branch the promotion wrote last, and its head then. */
  readonly branch?: string;
  readonly commit?: string;
  /** What argocd-update recorded for Kargo's health checks. */
  readonly health: readonly HealthCriterion[];
}

const SEVERITY: Readonly<Record<StepStatus, number>> = { Succeeded: 0, Skipped: 1, Failed: 4, Errored: 5 };

/** A config as Kargo holds it after evaluation: JSON (a Go int from an expression is a JSON number). */
function asJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(asJson);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJson(v)]));
  return value;
}

function deepCopy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/**
 * One promotion of one Stage, step by step. Create it with `Rehearsal.promotion()`; run it with `runUntil`,
 * `step` and `runRest`. Steps run one at a time; concurrent calls on the same promotion queue up.
 */
export class Promotion {
  readonly stage: string;
  readonly project: string;
  /** `<stage>.<ulid>.<first 7 of the Freight name>`, lower case (Kargo's pkg/api/promotion.go GeneratePromotionName). */
  readonly name: string;
  readonly freight: RehearsalFreight;
  readonly steps: readonly PromotionStepSpec[];
  readonly #rehearsal: Rehearsal;
  readonly #plan: StagePlan;
  readonly #records: StepRecord[] = [];
  readonly #state: Record<string, unknown> = {};
  readonly #health: HealthCriterion[] = [];
  readonly #writes = new Map<string, { before: string | undefined; after: string }>();
  #workDir: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal use `Rehearsal.promotion()` */
  constructor(rehearsal: Rehearsal, plan: StagePlan, freight: RehearsalFreight) {
    this.#rehearsal = rehearsal;
    this.#plan = plan;
    this.stage = plan.name;
    this.project = plan.namespace;
    this.freight = freight;
    this.steps = plan.steps;
    this.name = `${plan.name}.${ulid()}.${freight.name.slice(0, 7)}`.toLowerCase();
  }

  /** Steps run (or skipped) so far. */
  get records(): readonly StepRecord[] {
    return this.#records;
  }

  /** True once every step has run or been skipped. */
  get done(): boolean {
    return this.#records.length >= this.steps.length;
  }

  /** The alias of the next step, or undefined when done. */
  get nextStep(): string | undefined {
    const i = this.#records.length;
    const step = this.steps[i];
    return step === undefined ? undefined : aliasOf(step, i);
  }

  /** Runs the next step; undefined when every step has run. */
  step(): Promise<StepRecord | undefined> {
    return this.#serial(() => this.#runNext());
  }

  /**
   * Runs every step before the first one whose alias or kind (`uses`) is `target`, and stops there (that step
   * has not run). Throws when no remaining step matches.
   */
  runUntil(target: string): Promise<readonly StepRecord[]> {
    return this.#serial(async () => {
      const from = this.#records.length;
      const at = this.steps.findIndex((s, i) => i >= from && (aliasOf(s, i) === target || s.uses === target));
      if (at < 0) throw new Error(`promotion ${this.name} has no remaining step with alias or kind ${JSON.stringify(target)}`);
      while (this.#records.length < at) await this.#runNext();
      return this.#records.slice(from);
    });
  }

  /** Runs the remaining steps and returns the result. */
  runRest(): Promise<PromotionResult> {
    return this.#serial(async () => {
      while (!this.done) await this.#runNext();
      return this.#result();
    });
  }

  /** The result so far (phase as if the remaining steps did not exist). */
  result(): Promise<PromotionResult> {
    return this.#serial(() => this.#result());
  }

  /**
   * Kargo's health check of this Stage now: every Application argocd-update touched, checked against the
   * scratch remote as it is at this moment (another Stage's later push can make it fail).
   */
  health(): Promise<ApplicationCheck[]> {
    return this.#rehearsal.checkHealth(this.#health);
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #result(): Promise<PromotionResult> {
    let worst: StepRecord | undefined;
    for (const r of this.#records) {
      if (r.continueOnError) continue;
      if (worst === undefined ? r.status !== StepStatus.Succeeded : SEVERITY[r.status] > SEVERITY[worst.status]) worst = r;
    }
    const status = worst?.status ?? StepStatus.Succeeded;
    const phase = status === StepStatus.Failed ? PromotionPhase.Failed : status === StepStatus.Errored ? PromotionPhase.Errored : PromotionPhase.Succeeded;
    const writes: BranchWrite[] = [];
    for (const [branch, w] of this.#writes) {
      writes.push({ branch, ...(w.before === undefined ? {} : { before: w.before }), after: w.after, files: await this.#rehearsal.diff(w.before, w.after), scratch: branch.startsWith(GENERATED_BRANCH_PREFIX) });
    }
    writes.sort((a, b) => Number(a.scratch) - Number(b.scratch));
    const primary = [...writes].reverse().find((w) => !w.scratch);
    return {
      stage: this.stage,
      promotion: this.name,
      freight: this.freight,
      phase,
      ok: phase === PromotionPhase.Succeeded,
      steps: [...this.#records],
      ...(phase === PromotionPhase.Succeeded || worst === undefined ? {} : { failure: { alias: worst.alias, uses: worst.uses, status: worst.status, message: worst.detail } }),
      writes,
      ...(primary === undefined ? {} : { branch: primary.branch, commit: primary.after }),
      health: [...this.#health],
    };
  }

  #hasFailures(): boolean {
    // StepExecutionMetadataList.HasFailures: an Errored or Failed step without continueOnError.
    return this.#records.some((r) => !r.continueOnError && (r.status === StepStatus.Errored || r.status === StepStatus.Failed));
  }

  /**
   * The env of one step's `if` and config (@kargo/model's stepExpressionEnv, Kargo's StepEvaluator): the Stage's
   * vars then the step's, `ctx`, `outputs` by alias, the steps so far for success()/failure()/status(), and the
   * rehearsal's Freight for imageFrom(). secret() fails: a rehearsal has no cluster.
   */
  #env(step: PromotionStepSpec, alias: string): ExpressionEnv {
    const image = this.freight.image;
    return stepExpressionEnv(
      {
        project: this.project,
        stage: this.stage,
        promotion: this.name,
        actor: 'kargo-env rehearse',
        targetFreight: { name: this.freight.name, origin: this.freight.origin },
        vars: this.#plan.vars,
        state: deepCopy(this.#state),
        steps: this.#records.map((r) => ({ alias: r.alias, status: r.status, continueOnError: r.continueOnError, message: r.detail })),
        functions: {
          // freight.FindImage: the image of the Freight being promoted, nil for any other repository.
          imageFrom: (repoURL) => (repoURL === image.repoURL ? { repoURL: image.repoURL, tag: image.tag, digest: image.digest } : null),
          secret: (name) => {
            throw new Error(`secret(${JSON.stringify(name)}): secrets are not available in a rehearsal`);
          },
        },
      },
      { alias, vars: (step.vars ?? []).map((v) => ({ name: v.name, value: v.value ?? '' })) },
    );
  }

  #push(record: Omit<StepRecord, 'continueOnError'>, step: PromotionStepSpec): StepRecord {
    const full: StepRecord = { ...record, continueOnError: step.continueOnError === true };
    this.#records.push(full);
    return full;
  }

  async #runNext(): Promise<StepRecord | undefined> {
    const index = this.#records.length;
    const step = this.steps[index];
    if (step === undefined) return undefined;
    const alias = aliasOf(step, index);
    const base = { index, alias, uses: step.uses };

    // ShouldSkip: no `if` → skipped iff an earlier step failed; an `if` must evaluate to a boolean.
    let skip: boolean;
    if (step.if === undefined) skip = this.#hasFailures();
    else {
      try {
        skip = !evaluateCondition(step.if, this.#env(step, alias));
      } catch (error) {
        return this.#push({ ...base, status: StepStatus.Errored, rehearsed: true, detail: `error checking if step ${JSON.stringify(alias)} should be skipped: ${(error as Error).message}` }, step);
      }
    }
    if (skip) {
      const why = step.if === undefined ? 'an earlier step failed' : `its if is false: ${step.if}`;
      return this.#push({ ...base, status: StepStatus.Skipped, rehearsed: true, detail: why }, step);
    }

    const runner = STEP_RUNNERS[step.uses];
    if (runner === undefined) {
      if (!this.#rehearsal.knownStep(step.uses)) {
        return this.#push(
          { ...base, status: StepStatus.Errored, rehearsed: true, detail: `step kind ${JSON.stringify(step.uses)} is not registered; verify the kind is correct` },
          step,
        );
      }
      return this.#push({ ...base, status: StepStatus.Skipped, rehearsed: false, detail: `not rehearsed: ${notRehearsedReason(step.uses)}` }, step);
    }

    // BuildStepContext: vars, then the config with every expression evaluated.
    let config: unknown;
    try {
      const env = this.#env(step, alias);
      // evaluator.go Config: a step without config has a nil one (validated as null).
      config = step.config === undefined || step.config === null ? null : asJson(evaluateStepConfig(step.config as Record<string, unknown>, env));
    } catch (error) {
      return this.#push({ ...base, status: StepStatus.Errored, rehearsed: true, detail: `failed to build step context: failed to get step config: ${(error as Error).message}` }, step);
    }

    // validation.go validateAndConvert: the evaluated config against the step's schema; a violation is Failed.
    const problems = this.#rehearsal.validate(step.uses, config);
    if (problems.length > 0) {
      return this.#push({ ...base, status: StepStatus.Failed, rehearsed: true, config, detail: `invalid ${step.uses} config: ${problems.join('; ')}` }, step);
    }

    let outcome: StepOutcome;
    try {
      outcome = await runner(await this.#host(alias), config as Record<string, unknown>);
    } catch (error) {
      const output = (error as { output?: Record<string, unknown> }).output;
      // propagateStepOutput: the state holds the step's output (if any) whatever its status.
      this.#state[alias] = output;
      const status = error instanceof StepFailure ? StepStatus.Failed : StepStatus.Errored;
      const message = (error as Error).message.replaceAll(this.#workDir ?? '\0', '.').replaceAll(this.#rehearsal.scratchDir, '<scratch>');
      return this.#push({ ...base, status, rehearsed: true, config, detail: message, ...(output === undefined ? {} : { output }) }, step);
    }
    this.#state[alias] = outcome.output;
    if (outcome.health !== undefined) this.#health.push(...outcome.health);
    return this.#push({ ...base, status: outcome.status, rehearsed: true, config, detail: outcome.detail, ...(outcome.output === undefined ? {} : { output: outcome.output }) }, step);
  }

  async #host(_alias: string): Promise<StepHost> {
    const rehearsal = this.#rehearsal;
    // Lazily made: Kargo's work dir of one Promotion.
    const workDir = this.#workDir ?? (await rehearsal.workDirFor(this.name));
    this.#workDir = workDir;
    return {
      git: rehearsal.git,
      serve: (url) => rehearsal.serve(url),
      pipelineRepoURL: rehearsal.pipeline.git.repoURL,
      normalizeGit: rehearsal.normalizeGit,
      objects: rehearsal.objects,
      project: this.project,
      stage: this.stage,
      promotion: this.name,
      workDir,
      scratchDir: rehearsal.scratchDir,
      pullRequests: rehearsal.pullRequestProvider,
      recordWrite: (branch, before, after) => {
        const prior = this.#writes.get(branch);
        this.#writes.set(branch, { before: prior === undefined ? before : prior.before, after });
        rehearsal.noteWrite(branch, after);
      },
    };
  }
}

function aliasOf(step: PromotionStepSpec, index: number): string {
  return step.as !== undefined && step.as !== '' ? step.as : `step-${index + 1}`;
}

/**
 * A rehearsal: a scratch area holding a bare clone of `repo` (the "remote" every step of the pipeline's
 * repository talks to), promotions against it, and the simulated pull requests. Open with `Rehearsal.open`,
 * always `close()` (or `await using`).
 */
export class Rehearsal {
  readonly pipeline: Pipeline;
  readonly objects: readonly KubeObject[];
  /** The scratch area (removed by `close`). */
  readonly scratchDir: string;
  /** The bare repository standing in for the remote. */
  readonly remote: string;
  readonly git: Git;
  /** The user's repository as given, and resolved (an absolute path for a local one). */
  readonly repo: string;
  readonly normalizeGit: NormalizeGit;
  /** Branch heads of the user's repository when the rehearsal opened. */
  readonly initialHeads: ReadonlyMap<string, string>;
  readonly #plans: ReadonlyMap<string, StagePlan>;
  readonly #options: RehearsalOptions;
  readonly #pullRequests: PullRequest[] = [];
  readonly #written = new Map<string, string>();
  readonly #manifests: typeof Manifests;
  #closed = false;
  #workDirs = 0;

  private constructor(init: {
    options: RehearsalOptions;
    pipeline: Pipeline;
    plans: Map<string, StagePlan>;
    scratchDir: string;
    remote: string;
    git: Git;
    repo: string;
    heads: Map<string, string>;
    manifests: typeof Manifests;
  }) {
    this.#options = init.options;
    this.pipeline = init.pipeline;
    this.objects = init.options.objects;
    this.#plans = init.plans;
    this.scratchDir = init.scratchDir;
    this.remote = init.remote;
    this.git = init.git;
    this.repo = init.repo;
    this.initialHeads = init.heads;
    this.#manifests = init.manifests;
    this.normalizeGit = init.manifests.normalizeGitRepoUrl;
  }

  /**
   * Checks the pipeline and its Stages, then clones `repo` (bare, `--no-local`) into a new scratch area. Errors
   * are CliErrors: an unknown pipeline is a usage error; a missing Stage or an unreadable repository is invalid
   * input. Nothing is written outside the scratch area.
   */
  static async open(options: RehearsalOptions): Promise<Rehearsal> {
    const pipeline = selectPipeline(options.config, options.pipeline);
    const plans = new Map<string, StagePlan>();
    for (const object of options.objects) {
      const plan = stagePlan(object);
      if (plan !== undefined && plan.namespace === pipeline.project && pipeline.environments.some((e) => e.name === plan.name)) plans.set(plan.name, plan);
    }
    const missing = pipeline.environments.filter((e) => !plans.has(e.name)).map((e) => e.name);
    if (missing.length > 0) throw new CliError(CliErrorCode.InvalidArgument, `the rendered objects have no Stage for ${missing.join(', ')} in namespace ${pipeline.project}`);
    const manifests = await import('@kargo/model/manifests');
    const scratchDir = await realpath(await mkdtemp(join(options.tmpDir ?? tmpdir(), 'kargo-env-rehearse-')));
    try {
      const home = join(scratchDir, 'home');
      await mkdir(home);
      const git = new Git(home, options.gitTimeoutMs ?? DEFAULT_GIT_TIMEOUT_MS, options.env ?? process.env);
      await git.configureHome();
      const repo = isRemoteUrl(options.repo) ? options.repo : resolve(options.repo);
      const remote = join(scratchDir, 'remote.git');
      try {
        await git.run(['clone', '--bare', '--no-local', '--quiet', '--', repo, remote], { cwd: scratchDir });
      } catch (error) {
        let why = error instanceof GitError ? (error.stderr.trim().split('\n').filter((l) => l.trim() !== '').at(-1) ?? error.message) : (error as Error).message;
        why = why.replace(/^fatal: /, '');
        if (!isRemoteUrl(repo)) {
          const kind = await stat(repo).then((s) => (s.isDirectory() ? 'folder' : 'file'), () => undefined);
          why = kind === undefined ? 'no such folder' : kind === 'file' ? 'not a folder' : `not a Git repository (git: ${why})`;
        }
        throw new CliError(CliErrorCode.InvalidArgument, `cannot read --repo ${options.repo}: ${why}`, {
          cause: error,
          hint: 'give the path of a local clone (or a URL git can reach); nothing was written',
        });
      }
      const heads = await git.branches(remote);
      if (heads.size === 0) throw new CliError(CliErrorCode.InvalidArgument, `--repo ${options.repo} has no branches`, { hint: `push ${pipeline.git.branch} (with the chart and the rendered values files) first` });
      return new Rehearsal({ options, pipeline, plans, scratchDir, remote, git, repo, heads, manifests });
    } catch (error) {
      await rm(scratchDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The pipeline's Stages in promotion order (upstreams first). */
  get stages(): readonly string[] {
    return promotionOrder([...this.#plans.values()]).map((p) => p.name);
  }

  /** A Stage's steps and vars as rendered. */
  plan(stage: string): StagePlan {
    const plan = this.#plans.get(stage);
    if (plan === undefined) throw new CliError(CliErrorCode.InvalidArgument, `pipeline ${this.pipeline.name} has no environment ${JSON.stringify(stage)}`, { hint: `environments: ${this.stages.join(', ')}` });
    return plan;
  }

  /** The Freight a rehearsal promotes for `tag`. */
  freight(tag: string, digest = placeholderDigest(this.pipeline.image.repository, tag)): RehearsalFreight {
    if (!TAG_PATTERN.test(tag)) throw new UsageError(`--tag ${JSON.stringify(tag)} is not an image tag (letters, digits, _ . -; at most 128; not starting with . or -)`);
    const repoURL = this.pipeline.image.repository;
    return { name: createHash('sha1').update(`${repoURL}:${tag}@${digest}`).digest('hex'), origin: this.pipeline.name, image: { repoURL, tag, digest } };
  }

  /** A new promotion of `stage` to the image `tag`; nothing runs until its methods are called. */
  promotion(stage: string, tag: string, options: { readonly digest?: string } = {}): Promotion {
    this.#assertOpen();
    return new Promotion(this, this.plan(stage), this.freight(tag, options.digest));
  }

  /** The head of `branch` in the scratch remote now, or undefined. */
  async branchHead(branch: string): Promise<string | undefined> {
    return this.git.resolveCommit(this.remote, `refs/heads/${branch}`);
  }

  /** Every branch of the scratch remote with its head. */
  branches(): Promise<Map<string, string>> {
    return this.git.branches(this.remote);
  }

  /** A file of `ref` in the scratch remote, or undefined. */
  async readFile(ref: string, path: string): Promise<string | undefined> {
    const result = await this.git.run(['show', `${ref}:${path}`], { cwd: this.remote, okCodes: [0, 128] });
    return result.code === 0 ? result.stdout : undefined;
  }

  /** The simulated pull requests, in the order they were opened. */
  get pullRequests(): readonly PullRequest[] {
    return this.#pullRequests;
  }

  /** Branches the rehearsal wrote that `push()` would write to the user's repository, with their heads now. */
  writtenBranches(): ReadonlyMap<string, string> {
    return new Map([...this.#written].filter(([b]) => !b.startsWith(GENERATED_BRANCH_PREFIX)));
  }

  /**
   * Pushes the branches the rehearsal wrote (never `kargo/promotion/*`) from the scratch remote to the user's
   * repository, without force: a branch that moved there since `open` is rejected. Returns what was pushed.
   */
  async push(): Promise<{ branch: string; from?: string; to: string }[]> {
    this.#assertOpen();
    const branches = [...this.writtenBranches()].sort(([a], [b]) => (a < b ? -1 : 1));
    if (branches.length === 0) return [];
    try {
      await this.git.run(['push', '--quiet', '--', this.repo, ...branches.map(([b]) => `refs/heads/${b}:refs/heads/${b}`)], { cwd: this.remote });
    } catch (error) {
      throw new CliError(CliErrorCode.WriteFailed, `pushing ${branches.map(([b]) => b).join(', ')} to ${this.#options.repo} failed: ${(error as Error).message}`, {
        cause: error,
        hint: 'a branch that changed in the repository since the rehearsal began is not overwritten; rehearse again',
      });
    }
    return branches.map(([branch, to]) => {
      const from = this.initialHeads.get(branch);
      return { branch, ...(from === undefined ? {} : { from }), to };
    });
  }

  /** Removes the scratch area. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await rm(this.scratchDir, { recursive: true, force: true, maxRetries: 3 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- used by promotions and step runners ------------------------------------------------------------------

  /** @internal */
  serve(repoURL: string): string | undefined {
    return this.normalizeGit(repoURL) === this.normalizeGit(this.pipeline.git.repoURL) ? this.remote : undefined;
  }

  /** @internal */
  async workDirFor(promotion: string): Promise<string> {
    this.#assertOpen();
    const dir = join(this.scratchDir, 'work', `${++this.#workDirs}-${promotion.split('.')[0] ?? 'promotion'}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** @internal Whether Kargo v1.11 registers a step of this kind (the bundled step schemas). */
  knownStep(uses: string): boolean {
    return this.#manifests.bundledStepNames().includes(uses);
  }

  /** @internal Problems of an evaluated config against the step's schema, as `path: message`. */
  validate(uses: string, config: unknown): string[] {
    const issues = this.#manifests.validateStepConfig(uses, config) ?? [];
    return issues.filter((i) => i.severity === 'error').map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  }

  /** @internal */
  noteWrite(branch: string, after: string): void {
    this.#written.set(branch, after);
  }

  /** @internal */
  async diff(before: string | undefined, after: string): Promise<{ status: string; path: string }[]> {
    const from = before ?? (await this.git.run(['mktree'], { cwd: this.remote, input: '' })).stdout.trim();
    const text = await this.git.out(['diff', '--no-renames', '--name-status', from, after, '--'], this.remote);
    return text === '' ? [] : text.split('\n').map((line) => {
      const [status = '', ...path] = line.split('\t');
      return { status, path: path.join('\t') };
    });
  }

  /** @internal */
  async checkHealth(criteria: readonly HealthCriterion[]): Promise<ApplicationCheck[]> {
    const checks: ApplicationCheck[] = [];
    for (const c of criteria) {
      const app = this.objects.find((o) => o.kind === 'Application' && o.metadata.name === c.name && (o.metadata.namespace ?? 'argocd') === c.namespace);
      if (app === undefined) continue;
      checks.push(await checkApplication(this.git, app, c, (url) => this.serve(url)));
    }
    return checks;
  }

  /** @internal */
  get pullRequestProvider(): PullRequestProvider {
    const list = this.#pullRequests;
    const review = this.#options.review ?? (() => 'merge' as const);
    return {
      find: (f) => [...list].reverse().find((p) => p.sourceBranch === f.sourceBranch && p.targetBranch === f.targetBranch && p.headCommit === f.headCommit),
      open: (pr, repoURL) => {
        const number = list.length + 1;
        const base = repoURL.replace(/\.git$/, '').replace(/\/$/, '');
        const opened: PullRequest = { ...pr, number, url: `${base}/pull/${number}`, open: true, merged: false };
        list.push(opened);
        return opened;
      },
      get: (n) => list.find((p) => p.number === n),
      review,
      update: (pr) => {
        const at = list.findIndex((p) => p.number === pr.number);
        if (at >= 0) list[at] = pr;
      },
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('this rehearsal is closed');
  }
}

/** A repository argument git reads remotely (a scheme URL or scp-like `user@host:path`), not a local path. */
export function isRemoteUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || (/^[\w.-]+@[\w.-]+:/.test(repo) && !isAbsolute(repo));
}

/** The pipeline to rehearse: the named one, or the only one. */
export function selectPipeline(config: PipelineConfig, name: string | undefined): Pipeline {
  if (name !== undefined) {
    const found = config.pipelines.find((p) => p.name === name);
    if (found === undefined) throw new UsageError(`--pipeline ${JSON.stringify(name)} is not a pipeline of the config`, { hint: `pipelines: ${config.pipelines.map((p) => p.name).join(', ')}` });
    return found;
  }
  const [only, ...more] = config.pipelines;
  if (only === undefined) throw new CliError(CliErrorCode.InvalidConfig, 'the config has no pipeline');
  if (more.length > 0) throw new UsageError('the config has several pipelines; choose one with --pipeline', { hint: `pipelines: ${config.pipelines.map((p) => p.name).join(', ')}` });
  return only;
}
