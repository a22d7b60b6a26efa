// Where a simulation starts: the image tag each environment's values file holds (Kargo writes it on every
// promotion), read through the same `readExisting`/`root` contract `renderPipelines` uses for those files.
import type { PipelineConfig } from '@kargo/model';
import { isMap, isScalar, parseDocument } from 'yaml';
import { KargoRenderError, RenderErrorCode } from '../errors.ts';
import type { RenderOptions } from '../tree.ts';
import type { MergeValuesOptions } from '../values.ts';
import type { SimulationStartTag } from './input.ts';

/**
 * The tag at `tagPath` (default `image.tag`, the key `mergeValuesFile` leaves to Kargo) of a values file, or
 * `undefined` when there is no file, no such key or an empty value. An unquoted number keeps its text (`1.10`,
 * not 1.1). A file `mergeValuesFile` would refuse (invalid YAML, a top level that is not a map) throws the same
 * {@link KargoRenderError} (`InvalidValuesFile`), so `render` and `simulate` accept the same files.
 */
export function valuesFileTag(text: string | undefined, options: Pick<MergeValuesOptions, 'tagPath' | 'filename'> = {}): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const filename = options.filename ?? 'values file';
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new KargoRenderError(RenderErrorCode.InvalidValuesFile, `${filename}: ${doc.errors[0]?.message ?? 'invalid YAML'}`, {
      cause: doc.errors[0],
      hint: 'fix or delete the file; render rewrites it from the config',
    });
  }
  if (doc.contents === null) return undefined;
  if (!isMap(doc.contents)) throw new KargoRenderError(RenderErrorCode.InvalidValuesFile, `${filename}: the top level is not a map of values`);
  const node = doc.getIn(options.tagPath ?? ['image', 'tag'], true);
  if (!isScalar(node)) return undefined;
  const value = node.value;
  const tag = typeof value === 'string' ? value : typeof value === 'number' ? (node.source ?? String(value)) : undefined;
  return tag === undefined || tag.trim() === '' ? undefined : tag;
}

/**
 * What every environment's values file says it runs, for `simulatePipeline`'s `startTags`: `readExisting` and
 * `root` mean what they mean for `renderPipelines` (a file of the current tree, relative to the output folder;
 * the repository folder that tree stands for, default `kargo`). A values path outside `root` is not read.
 */
export function valuesFileTags(config: PipelineConfig, options: Pick<RenderOptions, 'readExisting' | 'root'>): SimulationStartTag[] {
  const root = (options.root ?? 'kargo').replace(/\/+$/, '');
  const out: SimulationStartTag[] = [];
  for (const pipeline of config.pipelines) {
    for (const env of pipeline.environments) {
      const rel = env.valuesPath.startsWith(`${root}/`) ? env.valuesPath.slice(root.length + 1) : undefined;
      const text = rel === undefined ? undefined : options.readExisting?.(rel);
      const tag = valuesFileTag(text, { filename: rel ?? env.valuesPath });
      out.push({ pipeline: pipeline.name, stage: env.name, file: env.valuesPath, exists: text !== undefined, ...(tag === undefined ? {} : { tag }) });
    }
  }
  return out;
}
