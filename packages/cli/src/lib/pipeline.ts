// Reading the pipeline config and rendering it: the steps `render` and `validate` share.
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Issue, PipelineConfig, Result } from '@kargo/model';
import type { RenderedObject } from '@kargo/render';
import { CliError, CliErrorCode } from '../errors.ts';
import { readConfigText, readIfExistsSync, type UserPath } from './files.ts';

/** Reads and parses the config; never throws for problems inside the file (they are issues). */
export async function parseConfigFile(path: UserPath): Promise<Result<PipelineConfig>> {
  const text = await readConfigText(path);
  const { parsePipelineConfig } = await import('@kargo/model');
  return parsePipelineConfig(text, { filename: path.display });
}

/** Reads and parses the config, turning problems into one typed error that carries every issue. */
export async function loadConfig(path: UserPath): Promise<{ config: PipelineConfig; warnings: readonly Issue[] }> {
  const parsed = await parseConfigFile(path);
  if (!parsed.ok) {
    const count = parsed.errors.length;
    throw new CliError(CliErrorCode.InvalidConfig, `${path.display} is not valid (${count} error${count === 1 ? '' : 's'})`, {
      issues: [...parsed.errors, ...parsed.warnings],
    });
  }
  return { config: parsed.value, warnings: parsed.warnings };
}

export interface RenderedTree {
  readonly files: ReadonlyMap<string, string>;
  readonly objects: readonly RenderedObject[];
}

/**
 * The repository-relative folder the tree stands for (what `kargo-configs` syncs, where values paths must lie):
 * the output folder relative to the config's folder, the repository root by convention. An output folder
 * outside it (a scratch render) stands for the default `kargo/`.
 */
export function treeRoot(configFile: string, outDir: string): string | undefined {
  const rel = relative(dirname(configFile), outDir).split(sep).join('/');
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
}

/** Renders the config, reading Kargo-owned values from the current tree at `outDir`. */
export async function renderTree(config: PipelineConfig, target: { configFile: string; outDir: string } | undefined): Promise<RenderedTree> {
  const render = await import('@kargo/render');
  const outDir = target?.outDir;
  const root = target === undefined ? undefined : treeRoot(target.configFile, target.outDir);
  try {
    return render.renderPipelines(config, {
      ...(root === undefined ? {} : { root }),
      readExisting: outDir === undefined ? () => undefined : (relPath: string) => readIfExistsSync(join(outDir, relPath)),
    });
  } catch (error) {
    throw asCliError(error, CliErrorCode.RenderFailed, 'rendering failed');
  }
}

/** Wraps a library error (render's or model's typed errors carry `code` and `hint`) into the CLI's type. */
export function asCliError(error: unknown, code: CliErrorCode, context: string): CliError {
  if (error instanceof CliError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const hint = typeof error === 'object' && error !== null && 'hint' in error && typeof error.hint === 'string' ? error.hint : undefined;
  const libraryCode = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return new CliError(code, `${context}: ${message}${libraryCode === undefined ? '' : ` [${libraryCode}]`}`, { cause: error, hint });
}
