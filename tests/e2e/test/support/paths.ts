// Where the built products and the repository's example live; the suite only ever runs what `pnpm build` made.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

/** `kargo-env`, the bin of @kargo/cli. */
export const CLI_BIN = resolve(REPO_ROOT, 'packages/cli/dist/bin.js');

/** The webhook relay's entry point (`node apps/webhook-relay/dist/main.js`). */
export const RELAY_MAIN = resolve(REPO_ROOT, 'apps/webhook-relay/dist/main.js');

/** The example pipeline committed at the repository root (flask-app on GHCR). */
export const EXAMPLE_CONFIG = resolve(REPO_ROOT, 'kargo-env.yaml');

/** Fails fast with the fix instead of a confusing spawn error when a package was not built. */
export function requireBuilt(...files: readonly string[]): void {
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} — run \`pnpm build\` at the repository root first`);
}
