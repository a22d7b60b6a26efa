// `kargo-env graph`: the declared pipeline as a Mermaid, DOT or SVG picture, for review outside Kargo's UI.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { defineCommand, stringFlag, type Flags } from '../command.ts';
import { CliError, CliErrorCode, ExitCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import { userPath } from '../lib/files.ts';
import { loadConfig } from '../lib/pipeline.ts';
import type { Issue } from '@kargo/model';

export const GraphFormat = { Mermaid: 'mermaid', Dot: 'dot', Svg: 'svg' } as const;
export type GraphFormat = (typeof GraphFormat)[keyof typeof GraphFormat];
const FORMATS = Object.values(GraphFormat);

/** `--out` extensions that imply a format when `--format` is not given. */
const FORMAT_BY_EXTENSION: Readonly<Record<string, GraphFormat>> = { '.mmd': 'mermaid', '.mermaid': 'mermaid', '.dot': 'dot', '.gv': 'dot', '.svg': 'svg' };

export interface GraphOptions {
  /** Config path relative to the working directory. */
  readonly config: string;
  readonly format: GraphFormat;
  /** File to write, relative to the working directory; stdout when absent. */
  readonly out?: string;
}

export interface GraphResult {
  readonly config: string;
  readonly format: GraphFormat;
  /** The graph text (Mermaid, DOT or SVG). */
  readonly graph: string;
  /** Where it was written, as shown to the user. */
  readonly out?: string;
  readonly pipelines: number;
  readonly environments: number;
  readonly warnings: readonly Issue[];
}

export function graphOptionsFromFlags(flags: Flags): GraphOptions {
  const config = stringFlag(flags, 'config') ?? 'kargo-env.yaml';
  if (config.trim() === '') throw new UsageError('--config must not be empty');
  const out = stringFlag(flags, 'out');
  if (out?.trim() === '') throw new UsageError('--out must not be empty');
  const given = stringFlag(flags, 'format');
  if (given !== undefined && !(FORMATS as readonly string[]).includes(given)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got ${JSON.stringify(given)})`);
  }
  const format = (given as GraphFormat | undefined) ?? (out === undefined ? undefined : FORMAT_BY_EXTENSION[extname(out).toLowerCase()]) ?? GraphFormat.Mermaid;
  return { config, format, ...(out === undefined ? {} : { out }) };
}

export async function runGraph(options: GraphOptions, io: RunIo): Promise<GraphResult> {
  const configPath = userPath(io.cwd, options.config);
  const { config, warnings } = await loadConfig(configPath);
  const render = await import('@kargo/render');
  const graph =
    options.format === GraphFormat.Svg ? await render.pipelineSvg(config) : options.format === GraphFormat.Dot ? render.pipelineDot(config) : render.pipelineMermaid(config);
  const base = {
    config: configPath.display,
    format: options.format,
    graph,
    pipelines: config.pipelines.length,
    environments: config.pipelines.reduce((n, p) => n + p.environments.length, 0),
    warnings,
  };
  if (options.out === undefined) return base;
  const outPath = userPath(io.cwd, options.out);
  try {
    await mkdir(dirname(outPath.absolute), { recursive: true });
    await writeFile(outPath.absolute, graph, 'utf8');
  } catch (error) {
    throw new CliError(CliErrorCode.WriteFailed, `cannot write ${outPath.display}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { ...base, out: outPath.display };
}

export const graphCommand = defineCommand<GraphOptions>({
  name: 'graph',
  summary: 'draw the pipelines (Warehouse → environments, how Freight moves) as Mermaid, DOT or SVG',
  examples: [
    ['kargo-env graph', 'Mermaid flowchart on stdout (paste into a PR or a Markdown file)'],
    ['kargo-env graph --format svg --out pipeline.svg', 'SVG laid out by Graphviz (WebAssembly, no system binary)'],
    ['kargo-env graph --format dot | dot -Tpng -o pipeline.png', 'DOT for your own Graphviz'],
  ],
  configure(command) {
    command
      .option('--config <path>', 'pipeline config to draw', 'kargo-env.yaml')
      .option('--format <format>', `${FORMATS.join(' | ')} (default: from the --out extension, else mermaid)`)
      .option('--out <file>', 'write the graph to this file instead of stdout');
  },
  toOptions: graphOptionsFromFlags,
  async execute(options, io, output) {
    const result = await runGraph(options, io);
    await output.issues(result.warnings);
    output.data({ ok: true, ...result });
    if (result.out === undefined) {
      if (!output.json) output.raw(result.graph);
    } else {
      output.result(`Wrote the ${result.format} graph of ${result.environments} environment${result.environments === 1 ? '' : 's'} to ${result.out}`);
    }
    return ExitCode.Ok;
  },
});
