#!/usr/bin/env node
// The kargo-env executable: the only place that touches `process` for exit codes.
import { main } from './program.ts';

// `kargo-env render --stdout | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// Ctrl-C ends `status --watch` cleanly (exit 0). Commands that do not listen are given 2 s, then the process
// exits 130 as it would without a handler; a second Ctrl-C exits at once.
const interrupt = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
    setTimeout(() => process.exit(130), 2000).unref();
  });
}

const code = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
});
// Setting exitCode (not calling exit at once) lets piped stdout drain before the process ends.
process.exitCode = code;
