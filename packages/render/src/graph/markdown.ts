// kargo/PIPELINE.md: the Mermaid graph plus a table of the rules, so reviewers see the pipeline in the repo.
import type { PipelineConfig } from '@kargo/model';
import { GENERATED_NOTICE, compareStrings } from '../emit.ts';
import { pipelineMermaid } from './mermaid.ts';
import { environmentOrder } from './model.ts';

function cell(value: string): string {
  return value.replaceAll('|', '\\|');
}

/** The Markdown page `render` writes as `kargo/PIPELINE.md` (deterministic; a header says it is generated). */
export function pipelineMarkdown(config: PipelineConfig): string {
  const rows: string[] = [];
  for (const pipeline of [...config.pipelines].sort((a, b) => compareStrings(a.name, b.name))) {
    for (const env of environmentOrder(pipeline)) {
      const from = env.upstreams.length === 0 ? `Warehouse ${pipeline.name}` : [...env.upstreams].sort(compareStrings).join(env.availability === 'All' ? ' + ' : ' or ');
      const promotion = `${env.promotion.auto ? 'auto' : 'manual'} (${env.promotion.mode})`;
      const windows = env.windows.map((w) => `${w.name} (${w.kind})`).join(', ');
      // argocd mode writes no Git: the Application runs from the source branch with a Helm parameter.
      const branch = env.promotion.mode === 'argocd' ? `(${pipeline.git.branch}, no Git write)` : `\`${cell(env.branch)}\``;
      rows.push(`| ${cell(pipeline.name)} | ${cell(env.name)} | ${cell(from)} | ${cell(promotion)} | ${env.promotion.soak ?? ''} | ${cell(windows)} | ${branch} | \`${cell(env.valuesPath)}\` |`);
    }
  }
  return [
    `<!-- ${GENERATED_NOTICE} -->`,
    '# Promotion pipeline',
    '',
    'How Freight moves from each Warehouse through the environments. Dashed arrows need a person (manual',
    'promotion); labels name the soak time, pull-request promotion and deployment windows.',
    '',
    '```mermaid',
    pipelineMermaid(config).trimEnd(),
    '```',
    '',
    '| Pipeline | Environment | Takes Freight from | Promotion | Soak | Windows | Branch (Argo CD tracks it) | Values file |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
