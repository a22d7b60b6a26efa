// Schema of the webhook relay's routes file (kargo/relay/routes.yaml): which image goes to which targets.
import { z } from 'zod';
import { TagRulesSchema } from '../images/index.ts';

/** An environment variable name, the way POSIX shells accept it. */
const EnvVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as KARGO_RECEIVER_SECRET');

/** RFC 1123 label: what a Kubernetes namespace name must be. */
const Dns1123Label = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower-case letters, digits and "-")');

/** RFC 1123 subdomain: what a Warehouse name must be. */
const Dns1123Subdomain = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")',
  );

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** POST the delivery to a Kargo GitHub webhook receiver, re-signed with that receiver's secret. */
export const KargoWebhookTargetSchema = z.strictObject({
  kargoWebhook: z.strictObject({
    /** The receiver's full URL: `status.webhookReceivers[].url` of the ProjectConfig or ClusterConfig. */
    url: HttpUrl,
    /** Name of the environment variable that holds the receiver Secret's `secret` value. */
    secretEnv: EnvVarName,
  }),
});

/** Patch `kargo.akuity.io/refresh` on one Warehouse through the Kubernetes API. */
export const KubernetesTargetSchema = z.strictObject({
  kubernetes: z.strictObject({
    namespace: Dns1123Label,
    warehouse: Dns1123Subdomain,
  }),
});

/** Only log what would be forwarded (local use and dry runs). */
export const LogTargetSchema = z.strictObject({
  log: z.strictObject({}),
});

export const RelayTargetSchema = z.union([KargoWebhookTargetSchema, KubernetesTargetSchema, LogTargetSchema]);

export const RelayRouteSchema = z.strictObject({
  /** Image repository such as `ghcr.io/alkon/flask-app`; compared after Kargo's image normalisation. */
  image: z.string().trim().min(1, 'must not be empty'),
  /** Optional pre-filter with Warehouse semantics: a tag it rejects is not forwarded. */
  tags: TagRulesSchema.optional(),
  /** Forward manifests pushed without a tag (multi-arch platform manifests, attestations). Off by default. */
  forwardUntagged: z.boolean().default(false),
  targets: z.array(RelayTargetSchema).min(1, 'a route needs at least one target'),
});

export const RelayRoutesSchema = z.strictObject({
  routes: z.array(RelayRouteSchema),
});

export type KargoWebhookTarget = z.infer<typeof KargoWebhookTargetSchema>;
export type KubernetesTarget = z.infer<typeof KubernetesTargetSchema>;
export type LogTarget = z.infer<typeof LogTargetSchema>;
export type RelayTarget = z.infer<typeof RelayTargetSchema>;
export type RelayRoute = z.infer<typeof RelayRouteSchema>;
export type RelayRoutes = z.infer<typeof RelayRoutesSchema>;
/** The routes file as written by hand or by `kargo-env render` (defaults not yet applied). */
export type RelayRoutesInput = z.input<typeof RelayRoutesSchema>;

/** A stable identity for a target: two routes naming the same target share one forward per delivery. */
export function relayTargetKey(target: RelayTarget): string {
  if ('kargoWebhook' in target) return `kargoWebhook:${target.kargoWebhook.url}`;
  if ('kubernetes' in target) return `kubernetes:${target.kubernetes.namespace}/${target.kubernetes.warehouse}`;
  return 'log';
}

/** A short label safe to show in responses and logs (a receiver URL's path is derived from its secret). */
export function relayTargetLabel(target: RelayTarget): string {
  if ('kargoWebhook' in target) return `kargoWebhook:${new URL(target.kargoWebhook.url).host}`;
  return relayTargetKey(target);
}
