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
