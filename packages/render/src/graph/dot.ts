// Graphviz DOT of the pipelines; also the input of the in-process SVG rendering.
import type { PipelineConfig } from '@kargo/model';
import { LABEL_SEPARATOR, pipelineGraph, type GraphNode, type GraphPipeline } from './model.ts';

const FONT = 'Helvetica,Arial,sans-serif';

/** A DOT double-quoted string; `\n` inside lines would be a Graphviz escape, so line breaks are joined explicitly. */
function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', ' ')}"`;
}

function label(lines: readonly string[]): string {
  return `"${lines.map((l) => quote(l).slice(1, -1)).join('\\n')}"`;
}

function nodeStatement(node: GraphNode): string {
  const shape = node.kind === 'warehouse' ? 'shape=cylinder, style="filled,dashed"' : 'shape=box, style="rounded,filled"';
  return `${quote(node.id)} [label=${label(node.lines)}, ${shape}, fillcolor="${node.fill}", color="${node.stroke}", fontcolor="${node.text}"];`;
}

function pipelineStatements(pipeline: GraphPipeline, indent: string): string[] {
  const lines = pipeline.nodes.map((n) => `${indent}${nodeStatement(n)}`);
  for (const edge of pipeline.edges) {
    const style = edge.auto ? '' : ', style=dashed';
    lines.push(`${indent}${quote(edge.from)} -> ${quote(edge.to)} [label=${quote(edge.labels.join(LABEL_SEPARATOR))}${style}];`);
  }
  return lines;
}

/** The pipelines as a DOT digraph (left to right); several pipelines become one cluster each. */
export function pipelineDot(config: PipelineConfig): string {
  const graph = pipelineGraph(config);
  const several = graph.pipelines.length > 1;
  const lines = [
    'digraph "kargo-env" {',
    `  graph [rankdir=LR, fontname=${quote(FONT)}, nodesep=0.4, ranksep=0.9];`,
    `  node [fontname=${quote(FONT)}, fontsize=12, penwidth=1.5, margin="0.2,0.1"];`,
    `  edge [fontname=${quote(FONT)}, fontsize=10, color="#57606a", fontcolor="#24292f"];`,
  ];
  for (const pipeline of graph.pipelines) {
    if (several) {
      lines.push(`  subgraph ${quote(`cluster_${pipeline.name}`)} {`, `    graph [label=${quote(`${pipeline.name} (project ${pipeline.project})`)}, style=rounded, color="#d0d7de"];`);
      lines.push(...pipelineStatements(pipeline, '    '), '  }');
    } else {
      lines.push(...pipelineStatements(pipeline, '  '));
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
