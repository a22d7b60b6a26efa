// Simulation input checked against the config: every problem at once, each located (`merges[1].stage`).
import { Severity, type Issue, type PipelineConfig, type PipelineEnvironment, type Result } from '@kargo/model';
import { compareStrings } from '../emit.ts';
import { SimulationInputSchema, inputIssues, type ParsedSimulationInput, type SimulationInput } from './input.ts';

function issue(path: string, message: string, code: string): Issue {
  return { path, message, severity: Severity.Error, code };
}

interface StageRef {
  readonly stage: string;
  readonly pipeline?: string | undefined;
}

/**
 * Checks that `[pipeline/]stage` names one environment of the config (the pipeline is needed only when the name
 * is in several) and returns it; pushes located issues otherwise.
 */
function resolveStage(config: PipelineConfig, ref: StageRef, at: string, errors: Issue[]): PipelineEnvironment | undefined {
  const names = config.pipelines.map((p) => p.name).sort(compareStrings).join(', ');
  if (ref.pipeline !== undefined) {
    const p = config.pipelines.find((x) => x.name === ref.pipeline);
    if (p === undefined) {
      errors.push(issue(`${at}.pipeline`, `unknown pipeline "${ref.pipeline}"; pipelines are: ${names}`, 'unknown-pipeline'));
      return undefined;
    }
    const env = p.environments.find((e) => e.name === ref.stage);
    if (env === undefined) errors.push(issue(`${at}.stage`, `pipeline "${p.name}" has no environment "${ref.stage}"; it has: ${p.environments.map((e) => e.name).join(', ')}`, 'unknown-stage'));
    return env;
  }
  const owners = config.pipelines.filter((p) => p.environments.some((e) => e.name === ref.stage));
  if (owners.length === 0) {
    const all = [...new Set(config.pipelines.flatMap((p) => p.environments.map((e) => e.name)))].join(', ');
    errors.push(issue(`${at}.stage`, `unknown environment "${ref.stage}"; environments are: ${all}`, 'unknown-stage'));
    return undefined;
  }
  if (owners.length > 1) {
    errors.push(issue(`${at}.stage`, `environment "${ref.stage}" exists in pipelines ${owners.map((p) => p.name).join(', ')}; write PIPELINE/${ref.stage}`, 'ambiguous-stage'));
    return undefined;
  }
  return owners[0]?.environments.find((e) => e.name === ref.stage);
}

/** Parses input and checks it against the config; every problem at once. */
export function prepareInput(config: PipelineConfig, input: SimulationInput): Result<ParsedSimulationInput> {
  const parsed = SimulationInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: inputIssues(parsed.error), warnings: [] };
  const value = parsed.data;
  const errors: Issue[] = [];
  if (Number.isNaN(Date.parse(value.start))) errors.push(issue('start', `${value.start} is not a valid instant`, 'invalid-start'));
  const pipelines = new Map(config.pipelines.map((p) => [p.name, p]));
  const names = [...pipelines.keys()].sort(compareStrings).join(', ');
  value.pushes.forEach((push, i) => {
    if (push.pipeline !== undefined && !pipelines.has(push.pipeline)) errors.push(issue(`pushes[${i}].pipeline`, `unknown pipeline "${push.pipeline}"; pipelines are: ${names}`, 'unknown-pipeline'));
  });
  value.startTags.forEach((st, i) => resolveStage(config, st, `startTags[${i}]`, errors));
  value.approvals.forEach((a, i) => resolveStage(config, a, `approvals[${i}]`, errors));
  for (const list of ['merges', 'closes'] as const) {
    value[list].forEach((a, i) => {
      const env = resolveStage(config, a, `${list}[${i}]`, errors);
      if (env !== undefined && env.promotion.mode !== 'pull-request') {
        errors.push(issue(`${list}[${i}].stage`, `environment "${env.name}" promotes with mode ${env.promotion.mode}, so it opens no pull request to ${list === 'merges' ? 'merge' : 'close'}`, 'not-pull-request'));
      }
    });
  }
  const seen = new Set<PipelineEnvironment>();
  value.argocdUpdateTimeouts.forEach((t, i) => {
    const env = resolveStage(config, t, `argocdUpdateTimeouts[${i}]`, errors);
    if (env !== undefined && seen.has(env)) errors.push(issue(`argocdUpdateTimeouts[${i}].stage`, `environment "${env.name}" already has an argocd-update timeout`, 'duplicate-timeout'));
    if (env !== undefined) seen.add(env);
  });
  return errors.length > 0 ? { ok: false, errors, warnings: [] } : { ok: true, value, warnings: [] };
}
