// Schema of the webhook relay's routes file (kargo/relay/routes.yaml): which image goes to which targets.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TagRulesSchema } from '../images/index.ts';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../kargo/common.ts';

/** An environment variable name, the way POSIX shells accept it. */
const EnvVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as KARGO_RECEIVER_SECRET');

/** RFC 1123 label: what a Kubernetes namespace name must be. */
const Dns1123Label = z
  .string()
  .max(63)
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label (lower-case letters, digits and "-")');

/** RFC 1123 subdomain: what a Warehouse name must be. */
const Dns1123Subdomain = z
  .string()
  .max(253)
  .regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")');

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** TLS settings shared by both ways of naming a receiver. */
const ReceiverTls = {
  /**
   * PEM bundle of CAs to trust for this receiver, e.g. the cert-manager CA of Kargo's self-signed
   * `kargo-external-webhooks-server` certificate (mounted from its Secret). System CAs otherwise.
   */
  caFile: z.string().trim().min(1, 'must be a file path').optional(),
  /** Only `false` is accepted: the relay always verifies the receiver's certificate (use caFile). */
  insecureSkipTLSVerify: z.literal(false, { error: 'the relay always verifies TLS; trust a self-signed receiver with caFile' }).optional(),
};

/** The receiver by its full URL: `status.webhookReceivers[].url` of the ProjectConfig or ClusterConfig. */
export const KargoWebhookUrlSchema = z.strictObject({
  url: HttpUrl,
  /** Name of the environment variable that holds the receiver Secret's `secret` value. */
  secretEnv: EnvVarName,
  ...ReceiverTls,
});

/**
 * The receiver by what its path is computed from (see kargoReceiverPath), for renderers that know the project
 * and receiver names but not the secret: the relay computes the URL at boot from the secret it is given.
 */
export const KargoWebhookReceiverSchema = z.strictObject({
  /** Kargo's external webhooks server base URL (`EXTERNAL_WEBHOOK_SERVER_BASE_URL`), path part included. */
  baseURL: HttpUrl,
  /** The Project (namespace) whose ProjectConfig lists the receiver; `""` for a ClusterConfig receiver. */
  project: z.union([Dns1123Label, z.literal('')]),
  /** `webhookReceivers[].name`. */
  receiver: Dns1123Subdomain.min(1),
  secretEnv: EnvVarName,
  ...ReceiverTls,
});

/** POST the delivery to a Kargo GitHub webhook receiver, re-signed with that receiver's secret. */
export const KargoWebhookTargetSchema = z.strictObject({
  kargoWebhook: z.union([KargoWebhookUrlSchema, KargoWebhookReceiverSchema]),
});

export interface KargoReceiverPathInput {
  /** Project name; `""` for a ClusterConfig receiver. */
  readonly project: string;
  /** The receiver's `name`. */
  readonly receiver: string;
  /** The decoded value of the receiver Secret's `secret` key. */
  readonly secret: string;
  /** Path part of the external webhooks server's base URL; `/` (the default) when it has none. */
  readonly basePath?: string;
}

/**
 * The path Kargo serves a GitHub receiver on: `<basePath>/github/<hex sha256(project + receiver + secret)>`, the
 * three strings joined with no separator (Kargo's pkg/webhook/external/receiver.go, unchanged since v1.6).
 */
export function kargoReceiverPath({ project, receiver, secret, basePath = '/' }: KargoReceiverPathInput): string {
  const hash = createHash('sha256').update(`${project}${receiver}${secret}`, 'utf8').digest('hex');
  const base = basePath.replace(/\/+$/, '');
  return `${base.startsWith('/') || base === '' ? base : `/${base}`}/github/${hash}`;
}

/** The receiver's full URL from its base URL (its path is the basePath), as `status.webhookReceivers[].url`. */
export function kargoReceiverUrl(input: { readonly baseURL: string; readonly project: string; readonly receiver: string; readonly secret: string }): string {
  const url = new URL(input.baseURL);
  url.pathname = kargoReceiverPath({ project: input.project, receiver: input.receiver, secret: input.secret, basePath: url.pathname });
  url.search = '';
  url.hash = '';
  return url.toString();
}

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
export type KargoWebhookUrl = z.infer<typeof KargoWebhookUrlSchema>;
export type KargoWebhookReceiver = z.infer<typeof KargoWebhookReceiverSchema>;
export type KubernetesTarget = z.infer<typeof KubernetesTargetSchema>;
export type LogTarget = z.infer<typeof LogTargetSchema>;
export type RelayTarget = z.infer<typeof RelayTargetSchema>;
export type RelayRoute = z.infer<typeof RelayRouteSchema>;
export type RelayRoutes = z.infer<typeof RelayRoutesSchema>;
/** The routes file as written by hand or by `kargo-env render` (defaults not yet applied). */
export type RelayRoutesInput = z.input<typeof RelayRoutesSchema>;

/** A stable identity for a target: two routes naming the same target share one forward per delivery. */
export function relayTargetKey(target: RelayTarget): string {
  if ('kargoWebhook' in target) {
    const k = target.kargoWebhook;
    // No secret in a key: keys are stored with every job and shown to admins.
    return 'url' in k ? `kargoWebhook:${k.url}` : `kargoWebhook:${k.baseURL}#${k.project}/${k.receiver}`;
  }
  if ('kubernetes' in target) return `kubernetes:${target.kubernetes.namespace}/${target.kubernetes.warehouse}`;
  return 'log';
}

/** A short label safe to show in responses and logs (a receiver URL's path is derived from its secret). */
export function relayTargetLabel(target: RelayTarget): string {
  if ('kargoWebhook' in target) {
    const k = target.kargoWebhook;
    return `kargoWebhook:${new URL('url' in k ? k.url : k.baseURL).host}`;
  }
  return relayTargetKey(target);
}
