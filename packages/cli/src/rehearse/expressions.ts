// Kargo expressions come from @kargo/model (packages/model/src/expressions), the one implementation of Kargo
// v1.11.2's expression semantics in this repository: pkg/expressions/json_templates.go (templates and their
// JSON-ification) and pkg/promotion/evaluator.go (the env of a step, ShouldSkip). Re-exported for the engine.
export { ExpressionError, evaluateCondition, evaluateStepConfig, stepExpressionEnv, type ExpressionEnv } from '@kargo/model';
