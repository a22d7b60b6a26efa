// `kargo-env graph`: the declared pipeline as a Mermaid, DOT or SVG picture (or the Markdown page render writes
// as kargo/PIPELINE.md), for review outside Kargo's UI.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { defineCommand, stringFlag, type Flags } from '../command.ts';
import { CliError, CliErrorCode, ExitCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import { userPath } from '../lib/files.ts';
import { loadConfig } from '../lib/pipeline.ts';
import type { Issue } from '@kargo/model';

export const GraphFormat = { Mermaid: 'mermaid', Dot: 'dot', Svg: 'svg', Markdown: 'markdown' } as const;
export type GraphFormat = (typeof GraphFormat)[keyof typeof GraphFormat];
const FORMATS = Object.values(GraphFormat);

/** The `--out` extensions of each format (lower case): they imply the format when `--format` is not given. */
export const GRAPH_EXTENSIONS: Readonly<Record<GraphFormat, readonly string[]>> = {
  mermaid: ['.mmd', '.mermaid'],
  dot: ['.dot', '.gv'],
  svg: ['.svg'],
  markdown: ['.md', '.markdown'],
};
const FORMAT_BY_EXTENSION = new Map(FORMATS.flatMap((format) => GRAPH_EXTENSIONS[format].map((ext) => [ext, format] as const)));

/** Pictures Graphviz draws (`dot -T<ext>`) but no format here is: writing graph text into them is always a mistake. */
const PICTURE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.bmp', '.tif', '.tiff', '.pdf', '.ps', '.eps']);

/** `.mmd or .mermaid (mermaid), .dot or .gv (dot), …` */
function extensionList(): string {
  return FORMATS.map((format) => `${GRAPH_EXTENSIONS[format].join(' or ')} (${format})`).join(', ');
}

/**
 * The format for `--out`: `--format` if given, else the one its extension names. Usage errors, so a wrong file
 * is never written: an extension that names no format (`.txt`, none) without `--format`; a picture extension
 * (`.png`, `.pdf`) even with `--format`; a `--format` whose `--out` extension names another format.
 */
function formatForOut(out: string, given: GraphFormat | undefined): GraphFormat {
  const ext = extname(out).toLowerCase();
  const implied = FORMAT_BY_EXTENSION.get(ext);
  if (implied !== undefined) {
    if (given !== undefined && given !== implied) {
      throw new UsageError(`--format ${given} contradicts --out ${out} (${ext} is ${implied}); name the file ${GRAPH_EXTENSIONS[given].map((e) => `*${e}`).join(' or ')} or drop --format`);
    }
    return implied;
  }
  const picture = PICTURE_EXTENSIONS.has(ext);
  if (given !== undefined && !picture) return given;
  if (ext === '') throw new UsageError(`--out ${out} has no extension to tell the format; give --format (${FORMATS.join(', ')}) or end the file name in ${extensionList()}`);
  if (!picture) throw new UsageError(`--out ${out}: ${ext} names no graph format; give --format (${FORMATS.join(', ')}) or end the file name in ${extensionList()}`);
  throw new UsageError(`--out ${out}: kargo-env graph does not write ${ext} files; give --out a file ending in ${extensionList()}`, {
    hint: `to get a ${ext.slice(1).toUpperCase()}, pipe DOT into Graphviz: kargo-env graph --format dot | dot -T${ext.slice(1)} -o ${out}`,
  });
}

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
  /** The graph text (Mermaid, DOT, SVG or the Markdown page). */
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
  const format = out === undefined ? ((given as GraphFormat | undefined) ?? GraphFormat.Mermaid) : formatForOut(out, given as GraphFormat | undefined);
  return { config, format, ...(out === undefined ? {} : { out }) };
}

export async function runGraph(options: GraphOptions, io: RunIo): Promise<GraphResult> {
  const configPath = userPath(io.cwd, options.config);
  const { config, warnings } = await loadConfig(configPath);
  const render = await import('@kargo/render');
  const graph =
    options.format === GraphFormat.Svg
      ? await render.pipelineSvg(config)
      : options.format === GraphFormat.Dot
        ? render.pipelineDot(config)
        : options.format === GraphFormat.Markdown
          ? render.pipelineMarkdown(config)
          : render.pipelineMermaid(config);
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
  summary: 'draw the pipelines (Warehouse → environments, how Freight moves) as Mermaid, DOT, SVG or a Markdown page',
  examples: [
    ['kargo-env graph', 'Mermaid flowchart on stdout (paste into a PR or a Markdown file)'],
    ['kargo-env graph --out pipeline.svg', 'SVG laid out by Graphviz (WebAssembly, no system binary); the format follows the extension'],
    ['kargo-env graph --out docs/PIPELINE.md', 'the Markdown page render writes as kargo/PIPELINE.md (Mermaid block and a table)'],
    ['kargo-env graph --format dot | dot -Tpng -o pipeline.png', 'DOT for your own Graphviz'],
  ],
  configure(command) {
    command
      .option('--config <path>', 'pipeline config to draw', 'kargo-env.yaml')
      .option('--format <format>', `${FORMATS.join(' | ')} (default: from the --out extension, else mermaid)`)
      .option('--out <file>', `write the graph to this file instead of stdout; its extension sets the format: ${extensionList()}`);
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
