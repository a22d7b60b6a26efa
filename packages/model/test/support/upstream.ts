// The bundled upstream schemas as the conformance tests use them: errors only, and the CEL rules a CRD declares.
import type { Issue } from '../../src/index.ts';
import { upstreamObjectSchema, validateManifest, validateStepConfig, validateSubscription } from '../../src/manifests-entry.ts';

const errorsOnly = (issues: readonly Issue[]): Issue[] => issues.filter((i) => i.severity === 'error');

/** Errors of a whole object against the closed upstream CRD schema (and Kargo's step/subscription checks). */
export function upstreamErrors(object: unknown): Issue[] {
  return errorsOnly(validateManifest(object).issues);
}

export function stepConfigErrors(step: string, config: unknown): Issue[] {
  const issues = validateStepConfig(step, config);
  if (issues === undefined) throw new Error(`no upstream schema for step ${step}`);
  return errorsOnly(issues);
}

export function subscriptionErrors(type: 'image' | 'git' | 'chart', body: unknown): Issue[] {
  const issues = validateSubscription(type, body);
  if (issues === undefined) throw new Error(`no upstream schema for subscription ${type}`);
  return errorsOnly(issues);
}

/** The `x-kubernetes-validations` rules the upstream CRD of a Kargo kind declares, as CEL text. */
export function celRules(kind: string): string[] {
  const rules: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'x-kubernetes-validations' && Array.isArray(value)) rules.push(...value.map((v: { rule: string }) => v.rule));
      else walk(value);
    }
  };
  walk(upstreamObjectSchema('kargo.akuity.io/v1alpha1', kind));
  return rules;
}
