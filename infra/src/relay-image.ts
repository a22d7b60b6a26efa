// The relay image infra deploys unless `relayImage` says otherwise: the one .github/workflows/release.yml pushes for the
// relay package's version. Read from the package itself (a workspace dependency), so a version bump by changesets moves
// the default with it and the two cannot disagree.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Where the release workflow pushes the relay: ghcr.io/<repository owner>/kargo-webhook-relay. */
export const RELAY_IMAGE_REPOSITORY = 'ghcr.io/alkon/kargo-webhook-relay';

/** `version` of @kargo/webhook-relay's package.json (apps/webhook-relay). */
export const RELAY_VERSION: string = (require('@kargo/webhook-relay/package.json') as { version: string }).version;

/** The default `relayImage`: `<RELAY_IMAGE_REPOSITORY>:<RELAY_VERSION>`. */
export const DEFAULT_RELAY_IMAGE = `${RELAY_IMAGE_REPOSITORY}:${RELAY_VERSION}`;
