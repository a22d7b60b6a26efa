// Helpers for the pipeline-config tests: minimal valid YAML and the position of a snippet in a text.
export const HEADER = 'apiVersion: kargo-env.dev/v1alpha1\nkind: PipelineConfig\n';

/** A config with one pipeline; `extra` is appended inside the pipeline (indented four spaces). */
export function pipelineYaml(extra = '', pipelineName = 'flask-app'): string {
  return `${HEADER}pipelines:
  - app: ${pipelineName}
    image:
      repository: ghcr.io/alkon/flask-app
    git:
      repoURL: https://github.com/alkon/kargo-gitops-toolkit.git
${extra}`;
}

/** 1-based line and column of the `occurrence`-th (0-based) appearance of `needle` in `text`. */
export function positionOf(text: string, needle: string, occurrence = 0): { line: number; column: number } {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`"${needle}" (#${occurrence}) not found`);
  }
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
