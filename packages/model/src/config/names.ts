// Names the pipeline config generates (namespaces, Application names, values paths), shared by rules and render.
import { DNS1123_LABEL } from '../kargo/common.ts';

/** Whether `name` is a DNS-1123 label (≤ 63 characters), the rule for namespaces and most generated names. */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

/**
 * Whether an environment name reads as production: prod, production, prd or live, alone or as a `-`-separated
 * prefix or suffix (prod-eu, eu-prod). Drives defaults (manual promotion, red) and the auto-promotion warning.
 */
export function isProductionName(name: string): boolean {
  return /^(prod|production|prd|live)(-.*)?$/.test(name) || /-(prod|production|prd|live)$/.test(name);
}

/** Argo CD Application name of one environment: `<app>-<env><suffix>`. */
export function applicationName(app: string, env: string, suffix: string): string {
  return `${app}-${env}${suffix}`;
}

/** Repository path of an environment's values file: `<valuesDir>/<valuesFile with {env} replaced>`. */
export function valuesPath(git: { readonly valuesDir: string; readonly valuesFile: string }, env: string): string {
  const dir = git.valuesDir.replace(/\/+$/, '');
  const file = git.valuesFile.replaceAll('{env}', env);
  return dir === '' ? file : `${dir}/${file}`;
}

/** The default `git.envBranch`: `env/{env}`, or `env/{pipeline}/{env}` when several pipelines share the config. */
export function defaultEnvBranch(pipelineCount: number): string {
  return pipelineCount === 1 ? 'env/{env}' : 'env/{pipeline}/{env}';
}

/** An environment's branch: the `git.envBranch` pattern with `{pipeline}` and `{env}` replaced. */
export function environmentBranch(pattern: string, pipeline: string, env: string): string {
  return pattern.replaceAll('{pipeline}', pipeline).replaceAll('{env}', env);
}

/**
 * Why `name` is not a branch name Git accepts (the rules of `git check-ref-format --branch`), or undefined when
 * it is one: no `..`, `@{`, `//`, control characters, space or any of `~^:?*[\`; no component that starts with
 * `.` or ends with `.lock`; not starting or ending with `/`, not ending with `.`, not `@`, not starting with `-`.
 */
export function branchNameProblem(name: string): string | undefined {
  if (name === '' || name === '@') return 'is not a branch name';
  if (name.startsWith('-')) return 'must not start with "-"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'must not start or end with "/" or contain "//"';
  if (name.endsWith('.')) return 'must not end with "."';
  if (name.includes('..') || name.includes('@{')) return 'must not contain ".." or "@{"';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'must not contain spaces, control characters or any of ~ ^ : ? * [ \\';
  for (const part of name.split('/')) {
    if (part.startsWith('.') || part.endsWith('.lock')) return `component "${part}" must not start with "." or end with ".lock"`;
  }
  return undefined;
}
