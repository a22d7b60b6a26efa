#!/usr/bin/env node
// The kargo-env executable: the only place that touches `process` for exit codes.
import { main } from './program.ts';

// `kargo-env render --stdout | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const code = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
// Setting exitCode (not calling exit at once) lets piped stdout drain before the process ends.
process.exitCode = code;
