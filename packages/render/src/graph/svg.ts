// SVG of the pipelines, laid out by Graphviz compiled to WebAssembly: no system binary, no download at run time.
import type { PipelineConfig } from '@kargo/model';
import { pipelineDot } from './dot.ts';

/**
 * Lays out DOT text as SVG in-process. The Graphviz WebAssembly module (inlined in @hpcc-js/wasm-graphviz)
 * is loaded on first use only, so callers that never draw SVG never pay for it.
 */
export async function dotToSvg(dot: string): Promise<string> {
  const { Graphviz } = await import('@hpcc-js/wasm-graphviz');
  const graphviz = await Graphviz.load();
  return graphviz.dot(dot, 'svg');
}

/** The pipelines as an SVG document (the DOT of {@link pipelineDot}, laid out by Graphviz). */
export async function pipelineSvg(config: PipelineConfig): Promise<string> {
  return dotToSvg(pipelineDot(config));
}
