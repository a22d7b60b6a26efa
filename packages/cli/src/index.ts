// Public surface of @kargo/cli: the command runners, for scripts that want kargo-env's behaviour without a process.
export { runInit, type InitOptions, type InitResult } from './commands/init.ts';
export { RenderMode, runRender, type RenderFiles, type RenderOptions, type RenderResult } from './commands/render.ts';
export { runValidate, runValidateManifests, type ManifestDocumentResult, type ValidateManifestsResult, type ValidateOptions, type ValidateResult } from './commands/validate.ts';
export { CliError, CliErrorCode, ExitCode, UsageError, type CliErrorOptions } from './errors.ts';
export type { Io, RunIo, TextSink } from './io.ts';
export type { DiffExcerpt } from './lib/diff.ts';
export { main } from './program.ts';
export { mergeRelayMetrics, parseRelayMetrics, type RelayMetrics } from './kube/relay.ts';
