// What a simulation is asked to do (pushes, approvals, horizon, start), and the command-line spellings of it.
import { parseDuration, Severity, type Issue, type Result } from '@kargo/model';
import { z } from 'zod';

/** A fixed Monday 00:00 UTC, so runs without `start` are reproducible and weekday windows have a known anchor. */
export const DEFAULT_SIMULATION_START = '2026-01-05T00:00:00Z';

/** An RFC 3339 instant with an explicit zone; seconds optional (`2026-12-01T09:00Z`). */
export const START_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An OCI image tag (distribution spec): what a registry push can carry. */
export const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** An OCI content digest (`algorithm:encoded`, image spec), e.g. `sha256:3f9a…`; short made-up ones do for a dry run. */
export const DIGEST_PATTERN = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const Minutes = z.number().finite().nonnegative();

export const SimulationPushSchema = z.strictObject({
  /** The image tag pushed to the registry. */
  tag: z.string().regex(IMAGE_TAG_PATTERN, 'must be an image tag (letters, digits, "_", "." and "-", at most 128)'),
  /**
   * The digest of the image pushed. Kargo's Freight identity is repository + tag + digest, so a tag pushed
   * again with another digest (a rebuild) is new Freight. Left out: the image the tag already points to (a
   * new one on its first push, and on every push under the Digest strategy, which follows a mutable tag).
   */
  digest: z.string().regex(DIGEST_PATTERN, 'must be a digest like sha256:3f9a (algorithm:hex)').optional(),
  /** Minutes after the start. */
  atMinutes: Minutes,
  /** The pipeline whose Warehouse sees the push; every pipeline when left out. */
  pipeline: z.string().min(1).optional(),
});

/**
 * What an environment's values file says it runs before minute 0 (see `valuesFileTags`). An environment with
 * a `tag` starts there; without one (the file or its key is absent) it starts at the config's initialTag.
 */
export const SimulationStartTagSchema = z.strictObject({
  pipeline: z.string().min(1),
  /** The environment (Stage). */
  stage: z.string().min(1),
  /** The values file looked at, as shown to the reader (repository-relative, like a promotion's change.file). */
  file: z.string().min(1),
  /** Whether the file exists. */
  exists: z.boolean(),
  /** The image tag the file holds (Kargo writes it on each promotion). */
  tag: z.string().min(1).optional(),
  /** The Git ref whose copy of the file was read (`env/dev`, `origin/env/dev`); absent: the rendered folder. */
  ref: z.string().min(1).optional(),
  /** Why the environment's branch was not read and the rendered folder was, e.g. `no branch env/dev`. */
  fallback: z.string().min(1).optional(),
});

export const SimulationApprovalSchema = z.strictObject({
  /** The environment (Stage) approved for. */
  stage: z.string().min(1),
  atMinutes: Minutes,
  /** Approve the Freight of this tag; default: the newest Freight that has reached an upstream (or the Warehouse). */
  tag: z.string().regex(IMAGE_TAG_PATTERN, 'must be an image tag').optional(),
  /** Needed only when several pipelines have an environment of this name. */
  pipeline: z.string().min(1).optional(),
});

/** `--merge` / `--close`: what someone does to the oldest open pull request of an environment. */
export const SimulationPullRequestActionSchema = z.strictObject({
  /** The environment (Stage), which must promote by pull request. */
  stage: z.string().min(1),
  atMinutes: Minutes,
  /** Needed only when several pipelines have an environment of this name. */
  pipeline: z.string().min(1).optional(),
});

/** How long an environment's argocd-update step may stay Running (its `retry.timeout`). */
export const SimulationArgoCDUpdateTimeoutSchema = z.strictObject({
  stage: z.string().min(1),
  argocdUpdateTimeoutMinutes: z.number().finite().positive(),
  pipeline: z.string().min(1).optional(),
});

export const SimulationInputSchema = z.strictObject({
  /** In push order; pushes at the same minute are seen in this order. */
  pushes: z.array(SimulationPushSchema).default([]),
  approvals: z.array(SimulationApprovalSchema).default([]),
  /** Pull requests merged: the promotion goes on to argocd-update. */
  merges: z.array(SimulationPullRequestActionSchema).default([]),
  /** Pull requests closed without merging: the promotion fails (git-wait-for-pr). */
  closes: z.array(SimulationPullRequestActionSchema).default([]),
  /**
   * argocd-update timeouts per environment: a promotion whose sync a window blocks for longer fails (Errored)
   * and is flagged as a stall. Default: none, no promotion times out.
   */
  argocdUpdateTimeouts: z.array(SimulationArgoCDUpdateTimeoutSchema).default([]),
  /** Where environments start; an environment not listed starts at its pipeline's initialTag. */
  startTags: z.array(SimulationStartTagSchema).default([]),
  /** Stop after this many minutes; default: when nothing more can happen. */
  untilMinutes: Minutes.optional(),
  /** The wall-clock instant of minute 0 (deployment windows are evaluated against it). */
  start: z.string().regex(START_PATTERN, 'must be an instant like 2026-12-01T09:00Z (with Z or an offset)').default(DEFAULT_SIMULATION_START),
});

export type SimulationPush = z.output<typeof SimulationPushSchema>;
export type SimulationApproval = z.output<typeof SimulationApprovalSchema>;
export type SimulationStartTag = z.output<typeof SimulationStartTagSchema>;
export type SimulationPullRequestAction = z.output<typeof SimulationPullRequestActionSchema>;
export type SimulationArgoCDUpdateTimeout = z.output<typeof SimulationArgoCDUpdateTimeoutSchema>;
export type SimulationInput = z.input<typeof SimulationInputSchema>;
export type ParsedSimulationInput = z.output<typeof SimulationInputSchema>;

function fail<T>(path: string, message: string, code = 'invalid-argument'): Result<T> {
  return { ok: false, errors: [{ path, message, severity: Severity.Error, code }], warnings: [] };
}

/** `0`, `0m`, `10m`, `2h`, `1h30m`, `90s` → minutes; `undefined` for anything else. */
export function parseOffset(text: string): number | undefined {
  if (text === '0') return 0;
  const seconds = parseDuration(text);
  return seconds === undefined ? undefined : seconds / 60;
}

function splitAt(spec: string, flag: string, what: string): Result<{ head: string; atMinutes: number }> {
  const at = spec.lastIndexOf('@');
  if (at < 0) return { ok: true, value: { head: spec, atMinutes: 0 }, warnings: [] };
  const offset = spec.slice(at + 1);
  const atMinutes = parseOffset(offset);
  if (atMinutes === undefined) return fail(flag, `${JSON.stringify(spec)}: offset ${JSON.stringify(offset)} is not a duration like 0m, 10m, 2h or 1h30m (expected ${what})`);
  return { ok: true, value: { head: spec.slice(0, at), atMinutes }, warnings: [] };
}

function splitPipeline(head: string): { pipeline?: string; rest: string } {
  const slash = head.indexOf('/');
  return slash < 0 ? { rest: head } : { pipeline: head.slice(0, slash), rest: head.slice(slash + 1) };
}

/**
 * `--push [PIPELINE/]TAG[@DIGEST][@OFFSET]` (offset default 0m), e.g. `1.8.4@10m` or `1.8.4@sha256:3f9a@10m`.
 * Tags cannot hold `/` or `@`, offsets cannot hold `:` and digests always do, so every part splits safely.
 */
export function parsePushSpec(spec: string): Result<SimulationPush> {
  const what = '[PIPELINE/]TAG[@DIGEST]@OFFSET, e.g. 1.8.4@10m or 1.8.4@sha256:3f9a@10m';
  // `TAG@DIGEST` without an offset: the last part is the digest, not an offset.
  const lastPart = spec.slice(spec.lastIndexOf('@') + 1);
  const split = spec.includes('@') && lastPart.includes(':') ? { ok: true as const, value: { head: spec, atMinutes: 0 } } : splitAt(spec, '--push', what);
  if (!split.ok) return split;
  const { pipeline, rest } = splitPipeline(split.value.head);
  if (pipeline === '') return fail('--push', `${JSON.stringify(spec)}: empty pipeline name before "/" (expected ${what})`);
  const at = rest.indexOf('@');
  const tag = at < 0 ? rest : rest.slice(0, at);
  const digest = at < 0 ? undefined : rest.slice(at + 1);
  if (digest !== undefined && !DIGEST_PATTERN.test(digest)) {
    return fail('--push', `${JSON.stringify(spec)}: ${JSON.stringify(digest)} is not a digest like sha256:3f9a (expected ${what})`);
  }
  const parsed = SimulationPushSchema.safeParse({ tag, ...(digest === undefined ? {} : { digest }), atMinutes: split.value.atMinutes, ...(pipeline === undefined ? {} : { pipeline }) });
  if (!parsed.success) return fail('--push', `${JSON.stringify(spec)}: ${JSON.stringify(tag)} is not an image tag (expected ${what})`);
  return { ok: true, value: parsed.data, warnings: [] };
}

/** `--approve [PIPELINE/]ENV[=TAG][@OFFSET]` (offset default 0m). */
export function parseApprovalSpec(spec: string): Result<SimulationApproval> {
  const what = '[PIPELINE/]ENV[=TAG]@OFFSET, e.g. prod@1h or prod=1.8.4@1h';
  const split = splitAt(spec, '--approve', what);
  if (!split.ok) return split;
  const { pipeline, rest } = splitPipeline(split.value.head);
  const eq = rest.indexOf('=');
  const stage = eq < 0 ? rest : rest.slice(0, eq);
  const tag = eq < 0 ? undefined : rest.slice(eq + 1);
  if (pipeline === '' || stage === '') return fail('--approve', `${JSON.stringify(spec)}: missing ${pipeline === '' ? 'pipeline' : 'environment'} name (expected ${what})`);
  const parsed = SimulationApprovalSchema.safeParse({ stage, atMinutes: split.value.atMinutes, ...(tag === undefined ? {} : { tag }), ...(pipeline === undefined ? {} : { pipeline }) });
  if (!parsed.success) return fail('--approve', `${JSON.stringify(spec)}: ${JSON.stringify(tag ?? '')} is not an image tag (expected ${what})`);
  return { ok: true, value: parsed.data, warnings: [] };
}

/** `--merge` / `--close` `[PIPELINE/]ENV[@OFFSET]` (offset default 0m). */
export function parsePullRequestSpec(spec: string, flag: '--merge' | '--close'): Result<SimulationPullRequestAction> {
  const what = '[PIPELINE/]ENV@OFFSET, e.g. prod@2h or shop/prod@2h';
  const split = splitAt(spec, flag, what);
  if (!split.ok) return split;
  const { pipeline, rest } = splitPipeline(split.value.head);
  if (pipeline === '' || rest === '') return fail(flag, `${JSON.stringify(spec)}: missing ${pipeline === '' ? 'pipeline' : 'environment'} name (expected ${what})`);
  if (rest.includes('=')) return fail(flag, `${JSON.stringify(spec)}: ${flag} takes no tag; it acts on the oldest open pull request of the environment (expected ${what})`);
  return { ok: true, value: { stage: rest, atMinutes: split.value.atMinutes, ...(pipeline === undefined ? {} : { pipeline }) }, warnings: [] };
}

/** `--argocd-update-timeout [PIPELINE/]ENV=DURATION`, e.g. `prod=72h`. */
export function parseArgoCDUpdateTimeoutSpec(spec: string): Result<SimulationArgoCDUpdateTimeout> {
  const flag = '--argocd-update-timeout';
  const what = '[PIPELINE/]ENV=DURATION, e.g. prod=72h or prod=5m';
  const eq = spec.lastIndexOf('=');
  if (eq < 0) return fail(flag, `${JSON.stringify(spec)}: missing =DURATION (expected ${what})`);
  const { pipeline, rest } = splitPipeline(spec.slice(0, eq));
  if (pipeline === '' || rest === '') return fail(flag, `${JSON.stringify(spec)}: missing ${pipeline === '' ? 'pipeline' : 'environment'} name (expected ${what})`);
  const text = spec.slice(eq + 1);
  const minutes = parseOffset(text);
  if (minutes === undefined || minutes <= 0) return fail(flag, `${JSON.stringify(spec)}: ${JSON.stringify(text)} is not a positive duration like 5m, 72h or 1h30m (expected ${what})`);
  return { ok: true, value: { stage: rest, argocdUpdateTimeoutMinutes: minutes, ...(pipeline === undefined ? {} : { pipeline }) }, warnings: [] };
}

/** Zod issues of the input as located issues (`pushes[2].atMinutes`). */
export function inputIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, ''),
    message: i.message,
    severity: Severity.Error,
    code: i.code,
  }));
}
