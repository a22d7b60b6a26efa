// The relay's routes for the program: the routes file `kargo-env render` commits (kargo/relay/routes.yaml),
// checked with the model's parser, and what follows from it (the Project namespaces it routes to).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatIssue, parseRelayRoutes, type RelayRoutes, type RelayRoutesInput } from '@kargo/model';
import { parse, stringify } from 'yaml';
import { InfraErrorCode, KargoInfraError } from './errors.ts';

/** A routes file as read: its text (mounted verbatim) and where it came from (for messages). */
export interface RelayRoutesSource {
  /** The path as configured, shown in errors as `file:line:column`. */
  readonly file: string;
  readonly text: string;
}

/** The routes, checked: throws a KargoInfraError listing every problem with file:line:column. */
export function checkRelayRoutes(source: RelayRoutesSource): RelayRoutes {
  const parsed = parseRelayRoutes(source.text, { filename: source.file });
  if (!parsed.ok) {
    throw new KargoInfraError(InfraErrorCode.InvalidRoutesFile, `invalid relay routes file:\n${parsed.errors.map((e) => `  ${formatIssue(e)}`).join('\n')}`, {
      hint: 'it is written by `kargo-env render`; re-render instead of editing it, or point relayRoutesFile at another file',
    });
  }
  if (parsed.value.routes.length === 0) {
    throw new KargoInfraError(InfraErrorCode.InvalidRoutesFile, `${source.file}: the relay needs at least one route`, { hint: 'enable the relay in kargo-env.yaml and re-render, or set enableRelay=false' });
  }
  return parsed.value;
}

/** Reads and checks the routes file at `file`, resolved against `baseDir` (Pulumi runs with cwd = infra/). */
export function loadRelayRoutes(file: string, baseDir: string): RelayRoutesSource {
  let text: string;
  try {
    text = readFileSync(resolve(baseDir, file), 'utf8');
  } catch (cause) {
    throw new KargoInfraError(InfraErrorCode.InvalidRoutesFile, `cannot read the relay routes file ${file} (from ${baseDir}): ${(cause as Error).message}`, {
      cause,
      hint: 'run `pnpm kargo-env render` at the repository root, or set relayRoutesFile',
    });
  }
  const source = { file, text };
  checkRelayRoutes(source);
  return source;
}

/** The namespaces of the routes' `kubernetes` targets (= the Kargo Projects they refresh), sorted, once each. */
export function routedNamespaces(routes: RelayRoutes): string[] {
  const namespaces = routes.routes.flatMap((r) => r.targets.flatMap((t) => ('kubernetes' in t ? [t.kubernetes.namespace] : [])));
  return [...new Set(namespaces)].sort();
}

/**
 * The same routes with each `kubernetes` target replaced by the Kargo GitHub receiver of its Project
 * (one per Project and route: Kargo's receiver refreshes every matching Warehouse of the Project itself).
 * Images, tag filters and other targets are kept as written.
 */
export function toReceiverRoutes(text: string, receiverURL: (project: string) => string, secretEnv: string): string {
  const doc = parse(text) as RelayRoutesInput;
  const routes = doc.routes.map((route) => {
    const targets: RelayRoutesInput['routes'][number]['targets'] = [];
    const seen = new Set<string>();
    for (const t of route.targets) {
      const next = 'kubernetes' in t ? { kargoWebhook: { url: receiverURL(t.kubernetes.namespace), secretEnv } } : t;
      const key = JSON.stringify(next);
      if (seen.has(key)) continue;
      seen.add(key);
      targets.push(next);
    }
    return { ...route, targets };
  });
  return `# Derived by the kargo-infra Pulumi program from the routes file \`kargo-env render\` writes (relayTarget=kargoWebhook).\n${stringify({ ...doc, routes })}`;
}
