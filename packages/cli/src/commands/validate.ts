// `kargo-env validate`: the config's rules and every rendered object against the model and the upstream
// API schemas; with --manifests, any Kargo/Argo CD/Argo Rollouts YAML against those schemas. All problems at once.
import type { Issue } from '@kargo/model';
import { defineCommand, stringFlag, type Flags } from '../command.ts';
import { CliError, CliErrorCode, ExitCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import type { Output } from '../output.ts';
import { userPath } from '../lib/files.ts';
import { parseConfigFile, renderTree } from '../lib/pipeline.ts';

export interface ValidateOptions {
  /** Config path relative to the working directory. */
  readonly config: string;
  /** Set: check these manifest files and folders instead of the config. */
  readonly manifests?: readonly string[];
}

/** What `--manifests` checks when given no path: the folder `render` writes. */
export const DEFAULT_MANIFESTS = 'kargo';

export interface ValidateResult {
  readonly config: string;
  /** True when there is no error (warnings allowed). */
  readonly valid: boolean;
  readonly errors: readonly Issue[];
  readonly warnings: readonly Issue[];
  /** Rendered objects checked against the model (0 when the config itself did not parse). */
  readonly objectsChecked: number;
}

/** Where rendered files are shown to live in messages: the default output folder, as `render` writes them. */
const RENDERED_PREFIX = 'kargo';
const KARGO_API_GROUP = 'kargo.akuity.io/';
const ARGO_API_GROUP = 'argoproj.io/';

export function validateOptionsFromFlags(flags: Flags): ValidateOptions {
  const config = stringFlag(flags, 'config') ?? 'kargo-env.yaml';
  if (config.trim() === '') throw new UsageError('--config must not be empty');
  const manifests = flags['manifests'];
  if (manifests === undefined) return { config };
  const paths = manifests === true ? [DEFAULT_MANIFESTS] : Array.isArray(manifests) ? manifests.map(String) : [];
  if (paths.some((p) => p.trim() === '')) throw new UsageError('--manifests paths must not be empty');
  return { config, manifests: paths };
}

export async function runValidate(options: ValidateOptions, io: RunIo): Promise<ValidateResult> {
  const path = userPath(io.cwd, options.config);
  const parsed = await parseConfigFile(path);
  if (!parsed.ok) {
    return { config: path.display, valid: false, errors: parsed.errors, warnings: parsed.warnings, objectsChecked: 0 };
  }
  const warnings = [...parsed.warnings];
  const errors: Issue[] = [];
  let tree;
  try {
    tree = await renderTree(parsed.value, undefined);
  } catch (error) {
    // A config the rules accept but render rejects is still the user's input to fix: report it, don't crash.
    if (!(error instanceof CliError && error.code === CliErrorCode.RenderFailed)) throw error;
    const message = error.message;
    errors.push({ path: '', message, severity: 'error', code: 'render-failed', file: path.display });
    return { config: path.display, valid: false, errors, warnings, objectsChecked: 0 };
  }

  const [model, upstream, { YamlLocator, parseIssuePath }] = await Promise.all([import('@kargo/model'), import('@kargo/model/manifests'), import('../lib/locate.ts')]);
  const locators = new Map<string, InstanceType<typeof YamlLocator>>();
  let objectsChecked = 0;
  for (const object of tree.objects) {
    const isKargo = object.apiVersion.startsWith(KARGO_API_GROUP);
    if (!isKargo && !object.apiVersion.startsWith(ARGO_API_GROUP)) continue;
    const text = tree.files.get(object.file);
    if (text === undefined) continue;
    let locator = locators.get(object.file);
    if (locator === undefined) {
      locator = new YamlLocator(text);
      locators.set(object.file, locator);
    }
    const body = locator.object(object.kind, object.name);
    objectsChecked++;
    const found: Issue[] = [];
    if (isKargo) {
      const result = model.validateKargoObject(body);
      found.push(...(result.ok ? result.warnings : [...result.errors, ...result.warnings]));
    }
    // The upstream API schemas (strict field validation, step configs, subscriptions); where the model
    // already reported a path, its message (in the model's words) is the one kept.
    const reported = new Set(found.map((issue) => issue.path));
    found.push(...upstream.validateManifest(body).issues.filter((issue) => !reported.has(issue.path)));
    const file = `${RENDERED_PREFIX}/${object.file}`;
    for (const issue of found) {
      const at = locator.find(object.kind, object.name, parseIssuePath(issue.path));
      const located: Issue = {
        ...issue,
        message: `${issue.message} (${object.kind} ${object.name})`,
        file,
        ...(at === undefined ? {} : { line: at.line, column: at.column }),
      };
      (located.severity === 'error' ? errors : warnings).push(located);
    }
  }
  return { config: path.display, valid: errors.length === 0, errors, warnings, objectsChecked };
}

export interface ManifestDocumentResult {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly apiVersion: string | undefined;
  readonly kind: string | undefined;
  readonly name: string | undefined;
  /** `checked`, or `not-checked` with the reason (another API group, or YAML that is no Kubernetes object). */
  readonly status: 'checked' | 'not-checked';
  readonly reason?: string;
  readonly issues: readonly Issue[];
}

export interface ValidateManifestsResult {
  readonly valid: boolean;
  readonly files: number;
  readonly documents: readonly ManifestDocumentResult[];
  readonly errors: number;
  readonly warnings: number;
  /** Helm chart folders passed over (their templates are not manifests until rendered). */
  readonly skippedCharts: readonly string[];
  /** The upstream releases whose schemas were used, e.g. `Kargo v1.11.2`. */
  readonly schemas: readonly string[];
}

/** Every document under the given paths against the bundled upstream schemas; never throws for invalid content. */
export async function runValidateManifests(paths: readonly string[], io: RunIo): Promise<ValidateManifestsResult> {
  const [{ findManifestFiles, checkManifestFile }, upstream] = await Promise.all([import('../lib/manifests.ts'), import('@kargo/model/manifests')]);
  const found = await findManifestFiles(io.cwd, paths);
  const documents: ManifestDocumentResult[] = [];
  for (const file of found.files) documents.push(...(await checkManifestFile(file, upstream.validateManifest)));
  const all = documents.flatMap((d) => d.issues);
  const errors = all.filter((i) => i.severity === 'error').length;
  return {
    valid: errors === 0,
    files: found.files.length,
    documents,
    errors,
    warnings: all.length - errors,
    skippedCharts: found.skippedCharts,
    schemas: Object.values(upstream.bundledUpstreams()).map((u) => `${u.project} ${u.version}`),
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function printManifests(result: ValidateManifestsResult, output: Output): ExitCode {
  output.data({ ok: result.valid, ...result });
  for (const doc of result.documents) {
    const object = doc.kind === undefined ? '' : `${doc.kind}/${doc.name ?? '(no name)'}`;
    for (const issue of doc.issues) {
      const where = `${issue.file ?? doc.file}:${issue.line ?? doc.line}:${issue.column ?? doc.column}`;
      const severity = issue.severity === 'error' ? '' : `${output.paintErr('yellow', 'warning:')} `;
      const path = issue.path === '' ? '' : `${issue.path}: `;
      output.note([where, object, `${severity}${path}${issue.message}`].filter((part) => part !== '').join('  '));
    }
    // A Kubernetes object of a kind without a bundled schema is shown; plain YAML (values files) is only counted.
    if (doc.status === 'not-checked' && doc.kind !== undefined) output.note(`${doc.file}:${doc.line}:${doc.column}  ${object}  ${output.paintErr('dim', `not checked: ${doc.reason ?? ''}`)}`);
  }
  for (const chart of result.skippedCharts) output.note(`${chart}  ${output.paintErr('dim', 'not checked: a Helm chart (render it with helm template, then validate the output)')}`);
  const checked = result.documents.filter((d) => d.status === 'checked').length;
  const other = result.documents.filter((d) => d.status === 'not-checked' && d.kind === undefined).length;
  const unknown = result.documents.length - checked - other;
  const counts = [`${plural(checked, 'document')} checked in ${plural(result.files, 'file')}`];
  if (unknown > 0) counts.push(`${unknown} of other kinds not checked`);
  if (other > 0) counts.push(`${plural(other, 'YAML document')} that ${other === 1 ? 'is' : 'are'} no Kubernetes object skipped`);
  const summary = `${counts.join(', ')}; schemas of ${result.schemas.join(', ')}`;
  const problems = `${plural(result.errors, 'error')}, ${plural(result.warnings, 'warning')}`;
  if (result.valid) {
    output.result(`${output.paint('green', '✓')} manifests are valid: ${summary} (${problems})`);
    return ExitCode.Ok;
  }
  output.note(`${output.paintErr('red', '✗')} ${problems}: ${summary}`);
  return ExitCode.Failure;
}

export const validateCommand = defineCommand<ValidateOptions>({
  name: 'validate',
  summary: 'check the config and every object it renders, or any Kargo/Argo manifests, against the upstream API schemas',
  examples: [
    ['kargo-env validate', 'check ./kargo-env.yaml'],
    ['kargo-env validate --config deploy/kargo-env.yaml --json', 'machine-readable problems for an editor or CI annotation'],
    ['kargo-env validate --manifests', 'check every document under kargo/ as the API server and Kargo would'],
    ['kargo-env validate --manifests kargo/ deploy/extra-stage.yaml', 'include hand-written Kargo and Argo CD YAML'],
  ],
  configure(command) {
    command.option('--config <path>', 'pipeline config to check', 'kargo-env.yaml');
    command.option('--manifests [paths...]', `check manifest files and folders instead of the config (default: ${DEFAULT_MANIFESTS}/)`);
  },
  toOptions: validateOptionsFromFlags,
  async execute(options, io, output) {
    if (options.manifests !== undefined) return printManifests(await runValidateManifests(options.manifests, io), output);

    const result = await runValidate(options, io);
    output.data({ ok: result.valid, ...result });
    await output.issues([...result.errors, ...result.warnings]);
    const problems = `${result.errors.length} error${result.errors.length === 1 ? '' : 's'}, ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}`;
    if (result.valid) {
      output.result(`${output.paint('green', '✓')} ${result.config} is valid (${result.objectsChecked} rendered objects checked; ${problems})`);
      return ExitCode.Ok;
    }
    output.note(`${output.paintErr('red', '✗')} ${result.config}: ${problems}`);
    return ExitCode.Failure;
  },
});
