// Public surface of the pipeline graph: Mermaid, DOT, SVG and the PIPELINE.md page.
export { KARGO_COLOR_HEX, colorHex, textColorOn } from './colors.ts';
export { pipelineDot } from './dot.ts';
export { pipelineMarkdown } from './markdown.ts';
export { mermaidId, pipelineMermaid } from './mermaid.ts';
export {
  GraphNodeKind,
  LABEL_SEPARATOR,
  edgeLabels,
  environmentOrder,
  pipelineGraph,
  type GraphEdge,
  type GraphNode,
  type GraphPipeline,
  type PipelineGraph,
} from './model.ts';
export { dotToSvg, pipelineSvg } from './svg.ts';
