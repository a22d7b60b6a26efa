// The pipeline config as a graph (Warehouse and environments as nodes, Freight routes as labelled edges):
// the one structure every graph format is written from, sorted so the output never depends on YAML order.
import { compareStrings } from '../emit.ts';
import type { Pipeline, PipelineConfig, PipelineEnvironment } from '@kargo/model';
import { colorHex, textColorOn } from './colors.ts';

export const GraphNodeKind = { Warehouse: 'warehouse', Environment: 'environment' } as const;
export type GraphNodeKind = (typeof GraphNodeKind)[keyof typeof GraphNodeKind];

export interface GraphNode {
  /** Stable identifier, `<pipeline>/<environment>` or `<pipeline>/warehouse`, unique across pipelines. */
  readonly id: string;
  readonly kind: GraphNodeKind;
  readonly pipeline: string;
  /** Environment name, or the Warehouse's (the pipeline name). */
  readonly name: string;
  /** Text lines of the node, first line the name. */
  readonly lines: readonly string[];
  /** `#rrggbb` fill: the environment's Kargo colour; white for the Warehouse. */
  readonly fill: string;
  /** `#rrggbb` border. */
  readonly stroke: string;
  /** `#rrggbb` text colour that reads on `fill`. */
  readonly text: string;
  /** Longest path from the Warehouse (the Warehouse is 0). */
  readonly depth: number;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** False for manual promotion (drawn dashed). */
  readonly auto: boolean;
  /** How Freight moves along the edge: `auto`/`manual`, `soak 30m`, `PR`, `argocd`, fan-in strategy, windows. */
  readonly labels: readonly string[];
}

export interface GraphPipeline {
  readonly name: string;
  readonly project: string;
  /** Warehouse first, then environments by depth, then name. */
  readonly nodes: readonly GraphNode[];
  /** Sorted by the target's node order, then the source id. */
  readonly edges: readonly GraphEdge[];
}

export interface PipelineGraph {
  /** Sorted by name. */
  readonly pipelines: readonly GraphPipeline[];
}

/** Separator between the parts of an edge label. */
export const LABEL_SEPARATOR = ' · ';

const WAREHOUSE_FILL = '#ffffff';
const WAREHOUSE_STROKE = '#6a7382';

/** `auto`, `soak 30m`, `PR`, … for Freight reaching `env` (the same on every incoming edge). */
export function edgeLabels(env: PipelineEnvironment): string[] {
  const labels = [env.promotion.auto ? 'auto' : 'manual'];
  if (env.promotion.soak !== undefined) labels.push(`soak ${env.promotion.soak}`);
  if (env.promotion.mode === 'pull-request') labels.push('PR');
  else if (env.promotion.mode === 'argocd') labels.push('argocd');
  if (env.upstreams.length > 1) labels.push(env.availability === 'All' ? 'all upstreams' : 'any upstream');
  if (env.windows.length > 0) labels.push(`${env.windows.length === 1 ? 'window' : 'windows'} ${env.windows.map((w) => w.name).join(', ')}`);
  return labels;
}

function warehouseRule(pipeline: Pipeline): string {
  const { strategy, constraint } = pipeline.image;
  return constraint === undefined ? strategy : `${strategy} ${constraint}`;
}

function depths(pipeline: Pipeline): Map<string, number> {
  const byName = new Map(pipeline.environments.map((e) => [e.name, e]));
  const memo = new Map<string, number>();
  // The model's rules reject cycles; the guard only keeps a hand-built config from recursing forever.
  const visit = (name: string, seen: ReadonlySet<string>): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const env = byName.get(name);
    if (env === undefined || seen.has(name)) return 0;
    const next = new Set(seen).add(name);
    const depth = env.upstreams.length === 0 ? 1 : 1 + Math.max(...env.upstreams.map((u) => visit(u, next)));
    memo.set(name, depth);
    return depth;
  };
  for (const env of pipeline.environments) visit(env.name, new Set());
  return memo;
}

/** The environments of a pipeline in promotion order: by depth from the Warehouse, then by name. */
export function environmentOrder(pipeline: Pipeline): PipelineEnvironment[] {
  const depth = depths(pipeline);
  return [...pipeline.environments].sort((a, b) => (depth.get(a.name) ?? 0) - (depth.get(b.name) ?? 0) || compareStrings(a.name, b.name));
}

function pipelineGraphOf(pipeline: Pipeline): GraphPipeline {
  const depth = depths(pipeline);
  const warehouseId = `${pipeline.name}/warehouse`;
  const nodes: GraphNode[] = [
    {
      id: warehouseId,
      kind: GraphNodeKind.Warehouse,
      pipeline: pipeline.name,
      name: pipeline.name,
      lines: [`Warehouse ${pipeline.name}`, pipeline.image.repository, warehouseRule(pipeline)],
      fill: WAREHOUSE_FILL,
      stroke: WAREHOUSE_STROKE,
      text: '#000000',
      depth: 0,
    },
  ];
  const edges: GraphEdge[] = [];
  for (const env of environmentOrder(pipeline)) {
    const fill = colorHex(env.color);
    const id = `${pipeline.name}/${env.name}`;
    nodes.push({ id, kind: GraphNodeKind.Environment, pipeline: pipeline.name, name: env.name, lines: [env.name], fill, stroke: fill, text: textColorOn(fill), depth: depth.get(env.name) ?? 1 });
    const labels = edgeLabels(env);
    const sources = env.upstreams.length === 0 ? [warehouseId] : [...env.upstreams].sort(compareStrings).map((u) => `${pipeline.name}/${u}`);
    for (const from of sources) edges.push({ from, to: id, auto: env.promotion.auto, labels });
  }
  return { name: pipeline.name, project: pipeline.project, nodes, edges };
}

/** The config as a graph; deterministic for a given config whatever the order of pipelines in the file. */
export function pipelineGraph(config: PipelineConfig): PipelineGraph {
  return { pipelines: [...config.pipelines].sort((a, b) => compareStrings(a.name, b.name)).map(pipelineGraphOf) };
}
