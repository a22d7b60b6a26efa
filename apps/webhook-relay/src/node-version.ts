// Which Node.js the relay runs on. main.ts checks it before anything imports node:sqlite, so this module imports
// nothing and uses no syntax or API an old Node.js lacks: on one, the relay must say what to do, not crash.

/**
 * The relay needs Node.js 24, as its package's `engines` says. What it calls of `node:sqlite` (`new DatabaseSync(path)`,
 * `exec`, `prepare`, `get`/`all`/`run`, `close`) exists since 22.5, but behind `--experimental-sqlite` until 22.13;
 * the relay is built, tested and shipped (node:24-slim) on 24 only, and the workspace installs that version.
 */
export const REQUIRED_NODE_MAJOR = 24;

/** How to run the relay on the Node.js the workspace installs, whatever the system Node.js is. */
export const RUN_WITH_WORKSPACE_NODE = 'npx -y pnpm@12 --filter @kargo/webhook-relay start';

export type NodeVersionCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** `version` as in `process.versions.node` (`24.21.0`, no `v`). The message is one line, without the program name. */
export function checkNodeVersion(version: string): NodeVersionCheck {
  const match = /^v?(\d+)\.\d+\.\d+/.exec(version);
  const how = `run it on the Node.js ${REQUIRED_NODE_MAJOR} the workspace installs: ${RUN_WITH_WORKSPACE_NODE}`;
  if (match === null) {
    return { ok: false, message: `needs Node.js >= ${REQUIRED_NODE_MAJOR} (for node:sqlite) and cannot tell which Node.js this is ("${version}"); ${how}` };
  }
  if (Number(match[1]) >= REQUIRED_NODE_MAJOR) return { ok: true };
  return { ok: false, message: `needs Node.js >= ${REQUIRED_NODE_MAJOR} (for node:sqlite), this is Node.js v${version.replace(/^v/, '')}; ${how}` };
}
