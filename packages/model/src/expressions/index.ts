// Kargo v1.11.2 promotion-step expressions (an expr-lang v1.17.8 subset) evaluated exactly as Kargo does.
export { ExpressionError, type ExpressionErrorOptions } from './errors.ts';
export { GoStruct, stringMap } from './go.ts';
export { evaluateExpression } from './evaluator.ts';
export { evaluateCondition, evaluateStepConfig, evaluateTemplate } from './template.ts';
export {
  StepStatus,
  hasFailures,
  splitAlias,
  stepExpressionEnv,
  type ExpressionEnv,
  type KargoFunctions,
  type PromotionContext,
  type PromotionVariable,
  type StepExecution,
} from './env.ts';
