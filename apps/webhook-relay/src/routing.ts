// Turns a package event into forward jobs using the routes file (Kargo's image normalisation, tag pre-filter).
import {
  compileTagRules,
  normalizeImageRepoUrl,
  packageUrlToImage,
  relayTargetKey,
  relayTargetLabel,
  tagAccepted,
  type CompiledTagRules,
  type RelayRoute,
  type RelayRoutes,
} from '@kargo/model/relay';
import type { PackageEvent } from './github.ts';
import type { NewJob } from './inbox/inbox.ts';

export interface MatchResult {
  /** One per target; each job's `image` is the matched route's key, normalizeImageRepoUrl(route.image). */
  readonly jobs: NewJob[];
  /** Target labels safe to show GitHub (no receiver paths). */
  readonly matched: string[];
  /** Why nothing matched, when nothing did. */
  readonly reason: string | undefined;
}

export class Router {
  readonly #byImage = new Map<string, { route: RelayRoute; rules: CompiledTagRules | undefined; targets: readonly { targetKey: string; target: string }[]; labels: readonly string[] }>();
  /** package_url → normalised image: a push repeats the same few URLs, and normalising costs more than a lookup. */
  readonly #images = new Map<string, string>();

  /** Routes come from parseRelayRoutes, which already rejected rules that do not compile. */
  constructor(routes: RelayRoutes) {
    for (const route of routes.routes) {
      const compiled = route.tags === undefined ? undefined : compileTagRules(route.tags);
      // A route's targets as jobs carry them, serialised once: match() runs for every delivery.
      const targets = route.targets.map((target) => ({ targetKey: relayTargetKey(target), target: JSON.stringify(target) }));
      this.#byImage.set(normalizeImageRepoUrl(route.image), { route, rules: compiled?.ok === true ? compiled.value : undefined, targets, labels: route.targets.map(relayTargetLabel) });
    }
  }

  get size(): number {
    return this.#byImage.size;
  }

  /** Whether a route names this image (normalised, as routes are keyed). */
  routes(image: string): boolean {
    return this.#byImage.has(image);
  }

  match(event: PackageEvent): MatchResult {
    let image = this.#images.get(event.imageUrl);
    if (image === undefined) {
      image = packageUrlToImage(event.imageUrl);
      // Bounded: URLs carry tags, so a long-running relay sees an open-ended set.
      if (this.#images.size >= 4096) this.#images.clear();
      this.#images.set(event.imageUrl, image);
    }
    const entry = this.#byImage.get(image);
    if (entry === undefined) return { jobs: [], matched: [], reason: `no route for ${image}` };
    const { route, rules, targets, labels } = entry;
    if (event.tag === '' && !route.forwardUntagged) return { jobs: [], matched: [], reason: 'untagged manifest (forwardUntagged is off)' };
    if (event.tag !== '' && rules !== undefined) {
      const decision = tagAccepted(rules, event.tag);
      if (!decision.accepted) return { jobs: [], matched: [], reason: `tag rejected by the route's tag rules: ${decision.message}` };
    }
    const jobs = targets.map(({ targetKey, target }) => ({ targetKey, target, image, tag: event.tag }));
    return { jobs, matched: [...labels], reason: undefined };
  }
}
