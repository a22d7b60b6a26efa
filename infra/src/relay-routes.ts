// The relay's routes for the program: the routes file `kargo-env render` commits (kargo/relay/routes.yaml),
// checked with the model's parser and against the installation, and what follows from it (the Projects it reaches,
// the receiver secret variables, whether Kargo's CA is needed).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatIssue, parseRelayRoutes, type RelayRoutes } from '@kargo/model';
import { relayRoutesNeeds } from '@kargo/render';
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

/** What the installation is, for checking the routes' receiver targets against it. */
export interface KargoWebhooksEndpoint {
  /** Kargo's namespace (its external webhooks Service lives there). */
  readonly namespace: string;
  /** Whether the external webhooks server serves HTTPS (false with certManager=none). */
  readonly tls: boolean;
  /** The receiver name every ProjectConfig declares (`webhookReceiverName`). */
  readonly receiverName: string;
}

/** What the program must create for a routes file. */
export interface RelayRoutesPlan {
  /** Kargo Projects the routes reach (their namespaces): each gets the shared receiver Secret. */
  readonly projects: string[];
  /** `secretEnv` of the receiver targets: relay Secret keys of those names hold the shared receiver secret. */
  readonly secretEnvs: string[];
  /** Some receiver target names a `caFile`: the CA of Kargo's webhooks certificate is copied next to the relay. */
  readonly needsKargoCa: boolean;
}

// The Service the chart creates for the external webhooks server, as an in-cluster host name.
const IN_CLUSTER_HOST = /^kargo-external-webhooks-server\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/;

/**
 * Checks the routes against the installation and lists what they need. Throws a KargoInfraError
 * (`KARGO_INFRA_ROUTES_MISMATCH`) for a receiver target that cannot work with what this program installs: a
 * full receiver URL (it derives from the receiver secret this program generates), a ClusterConfig receiver,
 * another receiver name, the in-cluster Service of another namespace or with the wrong scheme, or a `caFile`
 * when Kargo runs without TLS (certManager=none: there is no certificate, hence no CA, to trust).
 */
export function planRelayRoutes(source: RelayRoutesSource, kargo: KargoWebhooksEndpoint): RelayRoutesPlan {
  const routes = checkRelayRoutes(source);
  // What the workload reads (the same function builds it), so the Secret's keys match the pod's env.
  const needs = relayRoutesNeeds(routes);
  const problems: string[] = [];
  const projects = new Set<string>(needs.warehouseNamespaces);
  routes.routes.forEach((route, i) => {
    route.targets.forEach((target, j) => {
      const at = `routes[${i}].targets[${j}]`;
      if (!('kargoWebhook' in target)) return;
      const k = target.kargoWebhook;
      if ('url' in k) {
        problems.push(`${at}.kargoWebhook.url: a receiver URL derives from the receiver secret, which this program generates; name the receiver by { baseURL, project, receiver, secretEnv } (relay.target: kargoWebhook in kargo-env.yaml)`);
        return;
      }
      if (k.project === '') problems.push(`${at}.kargoWebhook.project: ClusterConfig receivers are not set up by this program; route to a Project's receiver`);
      else projects.add(k.project);
      if (k.receiver !== kargo.receiverName) {
        problems.push(`${at}.kargoWebhook.receiver: "${k.receiver}", but the ProjectConfigs' receiver is "${kargo.receiverName}" (webhookReceiverName)`);
      }
      const url = new URL(k.baseURL);
      const scheme = kargo.tls ? 'https:' : 'http:';
      const service = IN_CLUSTER_HOST.exec(url.hostname);
      if (service !== null && service[1] !== kargo.namespace) {
        problems.push(`${at}.kargoWebhook.baseURL: Kargo's webhooks server in namespace "${service[1]}", but Kargo is installed in "${kargo.namespace}"`);
      }
      if (service !== null && url.protocol !== scheme) {
        problems.push(`${at}.kargoWebhook.baseURL: ${url.protocol.slice(0, -1)}, but Kargo's webhooks server serves ${scheme.slice(0, -1)} (${kargo.tls ? 'self-signed TLS' : 'certManager=none: TLS off'})`);
      }
      if (service !== null && kargo.tls && k.caFile === undefined) {
        problems.push(`${at}.kargoWebhook: Kargo's webhooks certificate is self-signed; the relay trusts it only through caFile`);
      }
      if (k.caFile !== undefined && !kargo.tls) {
        problems.push(`${at}.kargoWebhook.caFile: certManager=none leaves Kargo without TLS, so there is no webhooks certificate whose CA could be trusted`);
      }
    });
  });
  if (problems.length > 0) {
    throw new KargoInfraError(InfraErrorCode.RoutesMismatch, `the relay routes in ${source.file} do not fit this installation:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: kargo.tls
        ? `in kargo-env.yaml set relay.kargoWebhook.baseURL: https://kargo-external-webhooks-server.${kargo.namespace}.svc and relay.receiverName: ${kargo.receiverName}, then pnpm kargo-env render`
        : `with certManager=none set relay.kargoWebhook.baseURL: http://kargo-external-webhooks-server.${kargo.namespace}.svc (no caFile) in kargo-env.yaml and re-render, or keep TLS with certManager=existing|install`,
    });
  }
  return { projects: [...projects].sort(), secretEnvs: needs.secretEnvs, needsKargoCa: needs.caFiles.length > 0 };
}
