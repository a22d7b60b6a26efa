// The rendered Kubernetes objects a rehearsal reads: Stages (their promotion steps and vars) and Argo CD
// Applications (the sources argocd-update would touch).
import { parseAllDocuments } from 'yaml';
import type { PromotionStepSpec } from './types.ts';

/** A parsed Kubernetes object (the document body as rendered). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: unknown;
  readonly [key: string]: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function asObject(doc: unknown): KubeObject | undefined {
  if (!isRecord(doc) || typeof doc['apiVersion'] !== 'string' || typeof doc['kind'] !== 'string') return undefined;
  const metadata = doc['metadata'];
  if (!isRecord(metadata) || typeof metadata['name'] !== 'string') return undefined;
  return doc as unknown as KubeObject;
}

/** Every Kubernetes object in a rendered tree (`files` of `renderTree`), in file order. */
export function objectsFromFiles(files: ReadonlyMap<string, string>): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const [path, text] of files) {
    if (!/\.ya?ml$/.test(path)) continue;
    for (const doc of parseAllDocuments(text)) {
      if (!('toJS' in doc) || doc.errors.length > 0) continue;
      const object = asObject(doc.toJS());
      if (object !== undefined) objects.push(object);
    }
  }
  return objects;
}

/** A Stage's steps and vars as a rehearsal runs them. */
export interface StagePlan {
  readonly name: string;
  readonly namespace: string;
  readonly steps: readonly PromotionStepSpec[];
  /** `spec.vars` then `spec.promotionTemplate.spec.vars`: a Promotion's vars (webhook/kubernetes/promotion). */
  readonly vars: readonly { readonly name: string; readonly value: string }[];
  /** Upstream Stages named in requestedFreight sources. */
  readonly upstreams: readonly string[];
}

function varsOf(list: unknown): { name: string; value: string }[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((v) => (isRecord(v) && typeof v['name'] === 'string' ? [{ name: v['name'], value: typeof v['value'] === 'string' ? v['value'] : '' }] : []));
}

/** The Stage's plan, or undefined when `object` is no Stage with a promotion template. */
export function stagePlan(object: KubeObject): StagePlan | undefined {
  if (object.kind !== 'Stage' || !object.apiVersion.startsWith('kargo.akuity.io/')) return undefined;
  const spec = isRecord(object.spec) ? object.spec : {};
  const template = isRecord(spec['promotionTemplate']) && isRecord(spec['promotionTemplate']['spec']) ? spec['promotionTemplate']['spec'] : {};
  const steps = Array.isArray(template['steps']) ? template['steps'].filter(isRecord) : [];
  const upstreams = new Set<string>();
  for (const request of Array.isArray(spec['requestedFreight']) ? spec['requestedFreight'] : []) {
    const sources = isRecord(request) && isRecord(request['sources']) ? request['sources'] : {};
    for (const s of Array.isArray(sources['stages']) ? sources['stages'] : []) if (typeof s === 'string') upstreams.add(s);
  }
  return {
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? '',
    steps: steps.map((s) => ({
      uses: typeof s['uses'] === 'string' ? s['uses'] : '',
      ...(typeof s['as'] === 'string' && s['as'] !== '' ? { as: s['as'] } : {}),
      ...(typeof s['if'] === 'string' && s['if'] !== '' ? { if: s['if'] } : {}),
      ...(s['continueOnError'] === true ? { continueOnError: true } : {}),
      ...(isRecord(s['retry']) ? { retry: s['retry'] } : {}),
      ...(Array.isArray(s['vars']) ? { vars: varsOf(s['vars']) } : {}),
      ...('config' in s ? { config: s['config'] } : {}),
    })),
    vars: [...varsOf(spec['vars']), ...varsOf(template['vars'])],
    upstreams: [...upstreams],
  };
}

/** Stages in promotion order: upstreams first, otherwise in the order given. */
export function promotionOrder(plans: readonly StagePlan[]): StagePlan[] {
  const byName = new Map(plans.map((p) => [p.name, p]));
  const done = new Set<string>();
  const order: StagePlan[] = [];
  const visit = (plan: StagePlan, path: Set<string>): void => {
    if (done.has(plan.name) || path.has(plan.name)) return;
    path.add(plan.name);
    for (const up of plan.upstreams) {
      const upstream = byName.get(up);
      if (upstream !== undefined) visit(upstream, path);
    }
    done.add(plan.name);
    order.push(plan);
  };
  for (const plan of plans) visit(plan, new Set());
  return order;
}
