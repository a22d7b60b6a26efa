import { Construct } from 'constructs';
import { KARGO_API_VERSION } from '../constants.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, checkName, compact } from './api-object.ts';

export const ImageSelectionStrategy = { SemVer: 'SemVer', Lexical: 'Lexical', NewestBuild: 'NewestBuild', Digest: 'Digest' } as const;
export type ImageSelectionStrategy = (typeof ImageSelectionStrategy)[keyof typeof ImageSelectionStrategy];

export interface PipelineWarehouseProps {
  /** Warehouse name. */
  readonly name: string;
  /** Project namespace. */
  readonly namespace: string;
  /** Image repository without tag, e.g. `ghcr.io/alkon/flask-app`. */
  readonly repoURL: string;
  /** @default SemVer */
  readonly strategy?: ImageSelectionStrategy;
  /** SemVer range (SemVer) or the mutable tag (Digest). Required for Digest. @default none (any version) */
  readonly constraint?: string;
  /** Only strict `MAJOR.MINOR.PATCH` tags (SemVer only). @default Kargo's default (true) */
  readonly strictSemvers?: boolean;
  /** Tags must match at least one of these regexes. @default none */
  readonly allowTags?: readonly string[];
  /** Tags matching any of these regexes are ignored. @default none */
  readonly ignoreTags?: readonly string[];
  /** `os/arch` to pick from multi-arch images. @default the controller's */
  readonly platform?: string;
  /** How many references discovery keeps, 1–100. @default Kargo's default (20) */
  readonly discoveryLimit?: number;
  /**
   * Polling interval. Kargo polls at the larger of this and the controller's `minReconciliationInterval`
   * (5m by default), so only webhooks make discovery immediate. @default `5m0s`
   */
  readonly interval?: string;
}

const INTERVAL = /^([0-9]+(\.[0-9]+)?(s|m|h))+$/;

/** A Warehouse with one typed image subscription (allow/ignore as the v1.9+ regex lists). */
export class PipelineWarehouse extends Construct {
  readonly warehouseName: string;

  constructor(scope: Construct, id: string, props: PipelineWarehouseProps) {
    super(scope, id);
    const what = 'PipelineWarehouse';
    checkName(what, props.name, 'subdomain');
    const strategy = props.strategy ?? ImageSelectionStrategy.SemVer;
    const interval = props.interval ?? '5m0s';
    if (!INTERVAL.test(interval)) throw invalidProps(what, props.name, `interval "${interval}" is not a duration like 5m0s`);
    if (/[:@]/.test(props.repoURL.split('/').at(-1) ?? '')) {
      throw invalidProps(what, props.name, `repoURL "${props.repoURL}" must not carry a tag or digest`);
    }
    if (props.discoveryLimit !== undefined && !(Number.isInteger(props.discoveryLimit) && props.discoveryLimit >= 1 && props.discoveryLimit <= 100)) {
      throw invalidProps(what, props.name, `discoveryLimit ${props.discoveryLimit} is not an integer in 1–100`);
    }
    if (props.platform !== undefined && !/^\w+\/\w+$/.test(props.platform)) {
      throw invalidProps(what, props.name, `platform "${props.platform}" is not os/arch`);
    }
    if (props.strictSemvers !== undefined && strategy !== ImageSelectionStrategy.SemVer) {
      throw invalidProps(what, props.name, 'strictSemvers applies only to the SemVer strategy');
    }
    if (strategy === ImageSelectionStrategy.Digest && props.constraint === undefined) {
      throw invalidProps(what, props.name, 'the Digest strategy needs a constraint (the mutable tag to follow)');
    }
    if (strategy !== ImageSelectionStrategy.Digest && strategy !== ImageSelectionStrategy.SemVer && props.constraint !== undefined) {
      throw invalidProps(what, props.name, `a constraint has no effect with the ${strategy} strategy`);
    }
    this.warehouseName = props.name;
    const image = compact({
      repoURL: props.repoURL,
      imageSelectionStrategy: strategy,
      constraint: props.constraint,
      strictSemvers: props.strictSemvers,
      allowTagsRegexes: props.allowTags !== undefined && props.allowTags.length > 0 ? [...props.allowTags] : undefined,
      ignoreTagsRegexes: props.ignoreTags !== undefined && props.ignoreTags.length > 0 ? [...props.ignoreTags] : undefined,
      platform: props.platform,
      discoveryLimit: props.discoveryLimit,
    });
    addManifest(this, 'Warehouse', {
      apiVersion: KARGO_API_VERSION,
      kind: 'Warehouse',
      metadata: { name: props.name, namespace: props.namespace },
      spec: { interval, subscriptions: [{ image }] },
    });
  }
}
