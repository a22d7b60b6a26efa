import { Construct } from 'constructs';
import { KargoWebhookReceiverSchema, compileTagRules, formatPath, type KargoWebhookReceiver, type RelayRoutesInput, type TagRulesInput } from '@kargo/model';
import { invalidProps } from '../errors.ts';
import { compareStrings } from '../emit.ts';
import { checkName } from './api-object.ts';

/** One Warehouse the relay refreshes when its image is pushed. */
export interface RelayWarehouse {
  /** Image repository, e.g. `ghcr.io/alkon/flask-app`. */
  readonly image: string;
  /** Kargo Project namespace of the Warehouse. */
  readonly namespace: string;
  readonly warehouse: string;
  /**
   * The tag rules of the Warehouse's image subscription, in the relay's field names. The relay then drops
   * pushes the Warehouse would ignore anyway. @default none (every tagged push is forwarded)
   */
  readonly tags?: TagRulesInput;
}

/**
 * How a route reaches Kargo. `kubernetes`: patch each Warehouse's refresh annotation (the relay needs get/patch
 * on Warehouses). `kargoWebhook`: re-sign the delivery to the GitHub receiver of each Warehouse's Project (the
 * relay needs the receiver secret in `secretEnv`; Kargo refreshes the Project's Warehouses that subscribe to the
 * image and accept the tag).
 */
export type RelayRoutesTarget =
  | { readonly kind: 'kubernetes' }
  | {
      readonly kind: 'kargoWebhook';
      /** Kargo's external webhooks server base URL, path part included. */
      readonly baseURL: string;
      /** `webhookReceivers[].name` in each Project's ProjectConfig. */
      readonly receiver: string;
      /** The relay's environment variable holding the receiver Secret's `secret` value. */
      readonly secretEnv: string;
      /** CA bundle the relay trusts for the receiver. @default the system CAs */
      readonly caFile?: string | undefined;
    };

export interface RelayRoutesProps {
  /** Warehouses to route to; several on one image share a route. */
  readonly warehouses: readonly RelayWarehouse[];
  /** @default `{ kind: 'kubernetes' }` */
  readonly target?: RelayRoutesTarget;
}

type Target = RelayRoutesInput['routes'][number]['targets'][number];

/**
 * The target for one Warehouse and the key it is deduplicated by (two Warehouses of one Project share its
 * receiver), checked with the routes file's own schema so the relay never rejects it.
 */
function targetFor(w: RelayWarehouse, target: RelayRoutesTarget): [key: string, target: Target] {
  if (target.kind === 'kubernetes') return [`${w.namespace}/${w.warehouse}`, { kubernetes: { namespace: w.namespace, warehouse: w.warehouse } }];
  // A Project's receiver refreshes every matching Warehouse of the Project, so the Project (its namespace) is the target.
  const receiver: KargoWebhookReceiver = {
    baseURL: target.baseURL,
    project: w.namespace,
    receiver: target.receiver,
    secretEnv: target.secretEnv,
    ...(target.caFile === undefined ? {} : { caFile: target.caFile }),
  };
  const checked = KargoWebhookReceiverSchema.safeParse(receiver);
  if (!checked.success) {
    throw invalidProps('RelayRoutes', w.warehouse, `kargoWebhook target: ${checked.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`);
  }
  return [w.namespace, { kargoWebhook: receiver }];
}

/** The routes file document (`relay/routes.yaml`), as the model's `parseRelayRoutes` reads it. */
export type RelayRoutesDocument = RelayRoutesInput;

/**
 * The rules as the route writes them: the strategy always, the other fields only when they differ from the
 * defaults the relay and Kargo share (strictSemvers true, no constraint, no regexes). Equal rules, however
 * they were spelled, give the same object, so they compare as equal and the output does not depend on
 * which Warehouse came first.
 */
function canonicalRules(tags: TagRulesInput): TagRulesInput {
  return {
    strategy: tags.strategy === undefined || tags.strategy === '' ? 'SemVer' : tags.strategy,
    ...(tags.constraint === undefined || tags.constraint === '' ? {} : { constraint: tags.constraint }),
    ...(tags.strictSemvers === false ? { strictSemvers: false } : {}),
    ...(tags.allow === undefined || tags.allow.length === 0 ? {} : { allow: [...tags.allow] }),
    ...(tags.ignore === undefined || tags.ignore.length === 0 ? {} : { ignore: [...tags.ignore] }),
  };
}

/**
 * The relay's routing table for these pipelines: each image → the Warehouses to refresh (through the
 * Kubernetes API, or through their Projects' Kargo receivers), with the Warehouses' tag rules as a pre-filter. A route has one filter, so when the
 * Warehouses of one image disagree on their rules (or one has none) the route carries none and Kargo's
 * receiver does the filtering: forwarding a push Kargo ignores costs a refresh, dropping one it wants
 * loses Freight. It names no secrets and no receiver URLs (those derive from secret values): a receiver target
 * names the environment variable that will hold the secret, and the relay computes the URL at boot.
 * Not a Kubernetes object, so it is kept as a plain document rather than an ApiObject.
 */
export class RelayRoutes extends Construct {
  readonly document: RelayRoutesDocument;

  constructor(scope: Construct, id: string, props: RelayRoutesProps) {
    super(scope, id);
    interface Route { readonly targets: Map<string, Target>; readonly rules: Map<string, TagRulesInput | undefined> }
    const target = props.target ?? { kind: 'kubernetes' };
    const byImage = new Map<string, Route>();
    for (const w of props.warehouses) {
      checkName('RelayRoutes namespace', w.namespace);
      checkName('RelayRoutes warehouse', w.warehouse, 'subdomain');
      if (w.image.trim() === '' || /[:@]/.test(w.image.split('/').at(-1) ?? '')) {
        throw invalidProps('RelayRoutes', w.warehouse, `image "${w.image}" must be a repository without tag or digest`);
      }
      if (w.tags !== undefined) {
        const compiled = compileTagRules(w.tags);
        if (!compiled.ok) {
          throw invalidProps('RelayRoutes', w.warehouse, `tag rules: ${compiled.errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('; ')}`);
        }
      }
      const image = w.image.toLowerCase();
      const route: Route = byImage.get(image) ?? { targets: new Map(), rules: new Map() };
      route.targets.set(...targetFor(w, target));
      const rules = w.tags === undefined ? undefined : canonicalRules(w.tags);
      route.rules.set(rules === undefined ? '' : JSON.stringify(rules), rules);
      byImage.set(image, route);
    }
    const images = [...byImage.keys()].sort(compareStrings);
    this.document = {
      routes: images.map((image) => {
        const route: Route = byImage.get(image) ?? { targets: new Map(), rules: new Map() };
        const [tags] = route.rules.size === 1 ? [...route.rules.values()] : [undefined];
        return {
          image,
          ...(tags === undefined ? {} : { tags }),
          targets: [...route.targets].sort(([a], [b]) => compareStrings(a, b)).map(([, t]) => t),
        };
      }),
    };
  }
}
