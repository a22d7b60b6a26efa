// Mermaid flowchart of the pipelines (renders in GitHub pull requests and Markdown files).
import type { PipelineConfig } from '@kargo/model';
import { LABEL_SEPARATOR, pipelineGraph, type GraphNode, type GraphPipeline } from './model.ts';

/**
 * A Mermaid id for a node id: DNS labels only hold `[a-z0-9-]`, so `-`→`_` and `/`→`__` stay injective, and
 * the `n_` prefix keeps names like `end` or `graph` from being read as keywords.
 */
export function mermaidId(id: string): string {
  return `n_${id.replaceAll('-', '_').replaceAll('/', '__')}`;
}

// Inside a quoted Mermaid string only `"` needs an entity; `#` starts entities, so it is encoded too.
function text(value: string): string {
  return value.replaceAll('#', '#35;').replaceAll('"', '#quot;');
}

function nodeLine(node: GraphNode): string {
  const label = `"${node.lines.map(text).join('<br/>')}"`;
  return node.kind === 'warehouse' ? `${mermaidId(node.id)}[(${label})]` : `${mermaidId(node.id)}(${label})`;
}

function pipelineLines(pipeline: GraphPipeline, indent: string): string[] {
  const lines = pipeline.nodes.map((n) => `${indent}${nodeLine(n)}`);
  for (const edge of pipeline.edges) {
    const arrow = edge.auto ? '-->' : '-.->';
    lines.push(`${indent}${mermaidId(edge.from)} ${arrow}|"${text(edge.labels.join(LABEL_SEPARATOR))}"| ${mermaidId(edge.to)}`);
  }
  return lines;
}

/** The pipelines as a Mermaid `flowchart LR`; several pipelines become one subgraph each. */
export function pipelineMermaid(config: PipelineConfig): string {
  const graph = pipelineGraph(config);
  const several = graph.pipelines.length > 1;
  const lines = ['flowchart LR'];
  for (const pipeline of graph.pipelines) {
    if (several) {
      lines.push(`  subgraph ${mermaidId(pipeline.name)}["${text(`${pipeline.name} (project ${pipeline.project})`)}"]`, '    direction LR');
      lines.push(...pipelineLines(pipeline, '    '), '  end');
    } else {
      lines.push(...pipelineLines(pipeline, '  '));
    }
  }
  for (const pipeline of graph.pipelines) {
    for (const node of pipeline.nodes) {
      const dashed = node.kind === 'warehouse' ? ',stroke-dasharray:4 2' : '';
      lines.push(`  style ${mermaidId(node.id)} fill:${node.fill},stroke:${node.stroke},color:${node.text}${dashed}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
