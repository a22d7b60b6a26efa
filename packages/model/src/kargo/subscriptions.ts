// Warehouse subscriptions, typed after Kargo's pkg/subscription/schemas/{image,git,chart}.json (v1.11.2).
// The CRD leaves them opaque; Kargo's admission webhook applies these schemas. Defaults are not
// filled in by parsing (see SUBSCRIPTION_DEFAULTS) so that a parsed object equals what was written.
import { z } from 'zod';
import { exactlyOneOf } from './common.ts';

export const IMAGE_REPO_URL = /^(\w+([.-]\w+)*(:[\d]+)?\/)?(\w+([.-]\w+)*)(\/\w+([.-]\w+)*)*$/u;
export const GIT_REPO_URL =
  /(?:^(ssh|https?):\/\/(?:([\w-]+)(:(.+))?@)?([\w-]+(?:\.[\w-]+)*)(?::(\d{1,5}))?(\/.*)$)|(?:^([\w-]+)@([\w+]+(?:\.[\w-]+)*):(\/?.*))$/u;
export const GIT_BRANCH = /^[a-zA-Z0-9]([a-zA-Z0-9._/-]*[a-zA-Z0-9_-])?$/u;
export const CHART_REPO_URL = /^(((https?)|(oci)):\/\/)(([\w\d.-]+)(:([\d]+)?)?(\/.*)*)$/u;

const discoveryLimit = z.int().min(1).max(100);

export const IMAGE_SELECTION_STRATEGIES = ['Digest', 'Lexical', 'NewestBuild', 'SemVer'] as const;
export type ImageSelectionStrategy = (typeof IMAGE_SELECTION_STRATEGIES)[number];

/** `image` subscription. `semverConstraint` (removed in v1.9.0) and `gitRepoURL` (removed in v1.7.0) are rejected. */
export const ImageSubscriptionSchema = z.strictObject({
  /** Repository without tag or digest, e.g. `ghcr.io/org/app`. */
  repoURL: z.string().min(1).regex(IMAGE_REPO_URL, { message: 'must be an image repository without tag or digest' }),
  /** Default `SemVer`. */
  imageSelectionStrategy: z.enum(IMAGE_SELECTION_STRATEGIES).optional(),
  /** Default true; SemVer only. */
  strictSemvers: z.boolean().optional(),
  /** A semver range for SemVer; the mutable tag to follow for Digest (v1.7.0). */
  constraint: z.string().optional(),
  /** @deprecated since v1.9.0; discovery fails when non-empty from v1.11.0. Use `allowTagsRegexes`. */
  allowTags: z.string().optional(),
  allowTagsRegexes: z.array(z.string()).optional(),
  /** @deprecated since v1.9.0; discovery fails when non-empty from v1.11.0. Use `ignoreTagsRegexes`. */
  ignoreTags: z.array(z.string()).optional(),
  ignoreTagsRegexes: z.array(z.string()).optional(),
  /** `os/arch`, e.g. `linux/amd64`. */
  platform: z.string().regex(/^\w+\/\w+$/u, { message: 'must be os/arch, e.g. linux/amd64' }).optional(),
  insecureSkipTLSVerify: z.boolean().optional(),
  /** 1–100, default 20. */
  discoveryLimit: discoveryLimit.optional(),
  /** Default false; only safe with immutable tags (v1.9.0). */
  cacheByTag: z.boolean().optional(),
});
export type ImageSubscription = z.infer<typeof ImageSubscriptionSchema>;

export const COMMIT_SELECTION_STRATEGIES = ['NewestFromBranch', 'SemVer', 'Lexical', 'NewestTag'] as const;
export type CommitSelectionStrategy = (typeof COMMIT_SELECTION_STRATEGIES)[number];

/** `git` subscription. */
export const GitSubscriptionSchema = z.strictObject({
  /** HTTPS URL; SSH and SCP-style URLs are deprecated since v1.10.0. */
  repoURL: z.string().min(1).regex(GIT_REPO_URL, { message: 'must be an http(s), ssh or SCP-style Git URL' }),
  /** Default `NewestFromBranch`. */
  commitSelectionStrategy: z.enum(COMMIT_SELECTION_STRATEGIES).optional(),
  branch: z.string().min(1).max(255).regex(GIT_BRANCH, { message: 'is not a valid branch name' }).optional(),
  /** Default true. */
  strictSemvers: z.boolean().optional(),
  semverConstraint: z.string().optional(),
  /** @deprecated since v1.9.0; use `allowTagsRegexes`. */
  allowTags: z.string().optional(),
  allowTagsRegexes: z.array(z.string()).optional(),
  /** @deprecated since v1.9.0; use `ignoreTagsRegexes`. */
  ignoreTags: z.array(z.string()).optional(),
  ignoreTagsRegexes: z.array(z.string()).optional(),
  expressionFilter: z.string().optional(),
  insecureSkipTLSVerify: z.boolean().optional(),
  blobless: z.boolean().optional(),
  includePaths: z.array(z.string()).optional(),
  excludePaths: z.array(z.string()).optional(),
  /** 1–100, default 20. */
  discoveryLimit: discoveryLimit.optional(),
  /** RFC 3339 date-time (v1.10.0). */
  since: z.iso.datetime({ offset: true }).optional(),
});
export type GitSubscription = z.infer<typeof GitSubscriptionSchema>;

/**
 * `chart` subscription. Beyond the upstream schema, the model checks the rule Kargo's webhook
 * applies: `name` is required for a classic (http/https) repository and must be empty for OCI.
 */
export const ChartSubscriptionSchema = z
  .strictObject({
    repoURL: z.string().min(1).regex(CHART_REPO_URL, { message: 'must be an http(s):// or oci:// URL' }),
    name: z.string().optional(),
    semverConstraint: z.string().optional(),
    /** 1–100, default 20. */
    discoveryLimit: discoveryLimit.optional(),
    insecureSkipTLSVerify: z.boolean().optional(),
  })
  .superRefine((chart, ctx) => {
    const oci = chart.repoURL.startsWith('oci://');
    const named = chart.name !== undefined && chart.name !== '';
    if (oci && named) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'an oci:// chart repository takes no name (the URL names the chart)', params: { code: 'chart-name' } });
    }
    if (!oci && !named) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'a classic http(s) chart repository needs the chart name', params: { code: 'chart-name' } });
    }
  });
export type ChartSubscription = z.infer<typeof ChartSubscriptionSchema>;

/** What Kargo fills in for omitted subscription fields. */
export const SUBSCRIPTION_DEFAULTS = {
  image: { imageSelectionStrategy: 'SemVer', strictSemvers: true, discoveryLimit: 20, cacheByTag: false },
  git: { commitSelectionStrategy: 'NewestFromBranch', strictSemvers: true, discoveryLimit: 20 },
  chart: { discoveryLimit: 20 },
} as const satisfies {
  image: Partial<ImageSubscription>;
  git: Partial<GitSubscription>;
  chart: Partial<ChartSubscription>;
};

export const SUBSCRIPTION_TYPES = ['image', 'git', 'chart'] as const;
export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number];

/** One entry of `Warehouse.spec.subscriptions`: exactly one of `image`, `git`, `chart`. */
export const SubscriptionSchema = exactlyOneOf(
  { image: ImageSubscriptionSchema, git: GitSubscriptionSchema, chart: ChartSubscriptionSchema },
  {},
  'a subscription',
);
export type Subscription = z.infer<typeof SubscriptionSchema>;
