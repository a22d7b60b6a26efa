// `kargo-env validate`: the config's rules and every rendered object against the model, all problems at once.
import type { Issue } from '@kargo/model';
import { defineCommand, stringFlag, type Flags } from '../command.ts';
import { CliError, CliErrorCode, ExitCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import { userPath } from '../lib/files.ts';
import { parseConfigFile, renderTree } from '../lib/pipeline.ts';

export interface ValidateOptions {
  /** Config path relative to the working directory. */
  readonly config: string;
}

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

/** Runs a @kubernetes-models `validate()` and turns its ajv errors (JSON pointers) into issues. */
export function argoIssues(validate: () => void, formatPath: (segments: readonly PropertyKey[]) => string): Issue[] {
  try {
    validate();
    return [];
  } catch (error) {
    const list = typeof error === 'object' && error !== null && 'errors' in error && Array.isArray(error.errors) ? (error.errors as unknown[]) : undefined;
    if (list === undefined) return [{ path: '', message: error instanceof Error ? error.message : String(error), severity: 'error', code: 'schema' }];
    return list.map((item) => {
      const { instancePath = '', message = 'is invalid', keyword = 'schema' } = item as { instancePath?: string; message?: string; keyword?: string };
      // A JSON pointer: `/spec/sources/0/helm` → `spec.sources[0].helm`.
      const segments = instancePath
        .split('/')
        .slice(1)
        .map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'))
        .map((key) => (/^\d+$/.test(key) ? Number(key) : key));
      return { path: formatPath(segments), message, severity: 'error', code: keyword };
    });
  }
}

export function validateOptionsFromFlags(flags: Flags): ValidateOptions {
  const config = stringFlag(flags, 'config') ?? 'kargo-env.yaml';
  if (config.trim() === '') throw new UsageError('--config must not be empty');
  return { config };
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

  const [model, { YamlLocator, parseIssuePath }] = await Promise.all([import('@kargo/model'), import('../lib/locate.ts')]);
  // Argo kinds are checked with the @kubernetes-models classes the model re-exports (their upstream schemas).
  const argoKinds: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
    Application: model.Application,
    AppProject: model.AppProject,
    AnalysisTemplate: model.AnalysisTemplate,
    ClusterAnalysisTemplate: model.ClusterAnalysisTemplate,
  };
  const locators = new Map<string, InstanceType<typeof YamlLocator>>();
  let objectsChecked = 0;
  for (const object of tree.objects) {
    const isKargo = object.apiVersion.startsWith(KARGO_API_GROUP);
    const argo = object.apiVersion.startsWith(ARGO_API_GROUP) ? argoKinds[object.kind] : undefined;
    if (!isKargo && argo === undefined) continue;
    const text = tree.files.get(object.file);
    if (text === undefined) continue;
    let locator = locators.get(object.file);
    if (locator === undefined) {
      locator = new YamlLocator(text);
      locators.set(object.file, locator);
    }
    const body = locator.object(object.kind, object.name);
    objectsChecked++;
    let found: readonly Issue[];
    if (isKargo) {
      const result = model.validateKargoObject(body);
      found = result.ok ? result.warnings : [...result.errors, ...result.warnings];
    } else {
      found = argoIssues(() => new argo!(body as never).validate(), model.formatPath);
    }
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

export const validateCommand = defineCommand<ValidateOptions>({
  name: 'validate',
  summary: 'check the config and every object it renders; report all problems with file:line:column',
  examples: [
    ['kargo-env validate', 'check ./kargo-env.yaml'],
    ['kargo-env validate --config deploy/kargo-env.yaml --json', 'machine-readable problems for an editor or CI annotation'],
  ],
  configure(command) {
    command.option('--config <path>', 'pipeline config to check', 'kargo-env.yaml');
  },
  toOptions: validateOptionsFromFlags,
  async execute(options, io, output) {
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
