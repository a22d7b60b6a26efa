// Entry point: `node dist/main.js` (what `start`, the Dockerfile's CMD, `dev`, the bench and the process tests run).
// It checks the Node.js version before anything imports node:sqlite: on an old Node.js that import fails while the
// modules load, with a stack and no word of what to do. So this file imports only node-version.ts statically and
// loads the relay (relay-main.ts) once the version is known to be good.
import { checkNodeVersion } from './node-version.ts';

const node = checkNodeVersion(process.versions.node);
if (node.ok) {
  await import('./relay-main.ts');
} else {
  process.stderr.write(`webhook-relay: ${node.message}\n`);
  process.exitCode = 1;
}
