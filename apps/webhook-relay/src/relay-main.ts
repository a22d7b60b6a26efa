// The relay proper, loaded by main.ts once the Node.js version is good: reads the environment once, starts the relay,
// exits 1 on bad config.
import { loadConfig } from './config.ts';
import { RelayError } from './errors.ts';
import { start } from './server.ts';

try {
  const config = loadConfig(process.env);
  await start(config);
} catch (error) {
  if (error instanceof RelayError) {
    process.stderr.write(`webhook-relay: ${error.message}\n${error.hint === undefined ? '' : `hint: ${error.hint}\n`}`);
  } else {
    process.stderr.write(`webhook-relay: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  // A half-started relay may hold timers or the database open; this is the process's only exit point.
  process.exit(1);
}
