// `kargo-env init`: writes a commented starter kargo-env.yaml.
import { access, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Issue } from '@kargo/model';
import { defineCommand, booleanFlag, stringFlag, type Flags } from '../command.ts';
import { CliError, CliErrorCode, ExitCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import { appNameFromFolder, readOriginRemote } from '../lib/git-remote.ts';
import { readIfExists, userPath } from '../lib/files.ts';
import type { Output } from '../output.ts';

export interface InitOptions {
  /** Where to write the config, relative to the working directory. */
  readonly config: string;
  /** Application name; default: the image's last path segment, else the working directory's name. */
  readonly app?: string | undefined;
  /** Image repository without tag; default: ghcr.io/<origin owner>/<app>. */
  readonly image?: string | undefined;
  /** HTTPS URL of the Git repository with the values files; default: the GitHub `origin` remote. */
  readonly repo?: string | undefined;
  /** Overwrite an existing file. */
  readonly force: boolean;
}

export interface InitResult {
  /** The written file as shown to the user. */
  readonly config: string;
  readonly app: string;
  readonly image: string;
  readonly repo: string;
  /** The `$schema` reference written: a path into an installed @kargo/model, or the schema's URL. */
  readonly schema: string;
  /** True when an existing file was replaced (only with `force`). */
  readonly overwritten: boolean;
}

/** Config paths the model reports → the flag that supplied the value, so errors name what the user typed. */
const FLAG_OF_PATH: Readonly<Record<string, string>> = {
  'pipelines[0].app': '--app',
  'pipelines[0].image.repository': '--image',
  'pipelines[0].git.repoURL': '--repo',
};

export function initOptionsFromFlags(flags: Flags): InitOptions {
  const config = stringFlag(flags, 'config') ?? 'kargo-env.yaml';
  if (config.trim() === '') throw new UsageError('--config must not be empty');
  for (const name of ['app', 'image', 'repo'] as const) {
    if (stringFlag(flags, name)?.trim() === '') throw new UsageError(`--${name} must not be empty`);
  }
  return {
    config,
    app: stringFlag(flags, 'app'),
    image: stringFlag(flags, 'image'),
    repo: stringFlag(flags, 'repo'),
    force: booleanFlag(flags, 'force'),
  };
}

/** Where an installed @kargo/model keeps the config's JSON Schema, relative to a node_modules folder. */
const INSTALLED_SCHEMA = join('node_modules', '@kargo', 'model', 'schema', 'kargo-env.schema.json');

/**
 * The `$schema` reference for a config at `configPath`: a relative path to the schema of an installed
 * @kargo/model when one is found in a node_modules folder at or above the config (works offline, matches the
 * installed version), else the model's default URL. The path is relative to the config file, which is how
 * editors (yaml-language-server) resolve it.
 */
export async function schemaReference(configPath: string, defaultUrl: string): Promise<string> {
  const from = dirname(configPath);
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, INSTALLED_SCHEMA);
    try {
      await access(candidate);
      const rel = relative(from, candidate).split('\\').join('/');
      return rel.startsWith('../') ? rel : `./${rel}`;
    } catch {
      // not installed here; look one folder up
    }
    if (dirname(dir) === dir) return defaultUrl;
  }
}

/**
 * Writes the starter config. The flags are checked by rendering the starter and parsing it with the model, so
 * init accepts exactly what `render` will accept; problems come back as issues naming the flag.
 */
export async function runInit(options: InitOptions, io: RunIo): Promise<InitResult> {
  const path = userPath(io.cwd, options.config);
  const remote = options.repo === undefined || options.image === undefined ? await readOriginRemote(io.cwd) : undefined;
  // Like the model's starter: the image's last segment names the app, else the folder does.
  const app = options.app ?? appNameFromFolder(options.image?.split('/').at(-1) ?? io.cwd);
  if (app === undefined) throw new UsageError('cannot derive an app name from the folder name', { hint: 'pass --app <name>' });
  const repo = options.repo ?? remote?.url;
  const image = options.image ?? (remote === undefined ? undefined : `ghcr.io/${remote.owner.toLowerCase()}/${app}`);
  if (repo === undefined || image === undefined) {
    const missing = [image === undefined ? '--image' : undefined, repo === undefined ? '--repo' : undefined].filter((flag) => flag !== undefined);
    throw new UsageError(`missing ${missing.join(' and ')} (no GitHub 'origin' remote to derive ${missing.length > 1 ? 'them' : 'it'} from)`, {
      hint: 'kargo-env init --app flask-app --image ghcr.io/alkon/flask-app --repo https://github.com/alkon/flask-app',
    });
  }

  const { defaultSchemaUrl, parsePipelineConfig, renderStarterConfig } = await import('@kargo/model');
  const schema = await schemaReference(path.absolute, defaultSchemaUrl());
  const text = renderStarterConfig({ app, image, repo, schemaUrl: schema });
  const parsed = parsePipelineConfig(text, { filename: path.display });
  if (!parsed.ok) {
    const issues: Issue[] = parsed.errors.map((issue) => {
      const flag = FLAG_OF_PATH[issue.path];
      // A flag's problem is located on the command line, not in a file that was never written.
      return flag === undefined ? issue : { path: flag, message: issue.message, severity: issue.severity, code: issue.code };
    });
    throw new CliError(CliErrorCode.InvalidArgument, `the starter config for these flags would not be valid (${issues.length} problem${issues.length === 1 ? '' : 's'})`, {
      issues,
    });
  }

  const overwritten = options.force && (await readIfExists(path.absolute)) !== undefined;
  try {
    // `wx` makes the existence check and the write one step, so a racing writer cannot be clobbered.
    await writeFile(path.absolute, text, { encoding: 'utf8', flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(CliErrorCode.FileExists, `${path.display} already exists; not overwriting it`, {
        hint: 'pass --force to replace it, or --config <path> to write elsewhere',
      });
    }
    throw new CliError(CliErrorCode.WriteFailed, `cannot write ${path.display}: ${(error as Error).message}`, { cause: error });
  }
  return { config: path.display, app, image, repo, schema, overwritten };
}

export const initCommand = defineCommand<InitOptions>({
  name: 'init',
  summary: 'write a commented starter kargo-env.yaml',
  examples: [
    ['kargo-env init --app flask-app --image ghcr.io/alkon/flask-app --repo https://github.com/alkon/flask-app', 'start a config for one app'],
    ['kargo-env init', 'derive app, image and repo from the folder and its GitHub origin remote'],
    ['kargo-env init --force --config deploy/kargo-env.yaml', 'replace an existing config elsewhere'],
  ],
  configure(command) {
    command
      .option('--app <name>', 'application name (DNS-1123 label; default: the image name, else the folder name)')
      .option('--image <repository>', 'image repository without tag, e.g. ghcr.io/alkon/flask-app (default: from the origin remote)')
      .option('--repo <url>', 'https URL of the Git repository with the Helm values (default: the origin remote)')
      .option('--config <path>', 'where to write the config', 'kargo-env.yaml')
      .option('--force', 'overwrite an existing file');
  },
  toOptions: initOptionsFromFlags,
  async execute(options, io, output: Output) {
    const result = await runInit(options, io);
    output.data({ ok: true, ...result });
    output.result(`${result.overwritten ? 'Replaced' : 'Wrote'} ${result.config} for ${result.app} (${result.image}, ${result.repo})`);
    output.result(`Next: review it, then run '${options.config === 'kargo-env.yaml' ? 'kargo-env render' : `kargo-env render --config ${options.config}`}'`);
    return ExitCode.Ok;
  },
});
