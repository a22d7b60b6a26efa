// Kargo's templates around expressions: Kargo v1.11.2 pkg/expressions/json_templates.go (EvaluateTemplate,
// evaluateTemplate, nextExpression, EvaluateJSONTemplate) and pkg/promotion/evaluator.go (ShouldSkip).
import { type ExpressionEnv, hasFailures } from './env.ts';
import { ExpressionError } from './errors.ts';
import { evaluateExpression } from './evaluator.ts';
import { goJSON, goType, goUnmarshal, isMap, parseGoBool, parseGoFloat } from './go.ts';

const DELIMITERS = [['${{', '}}'], ['${%', '%}']] as const;

/**
 * Expressions and the text between them, concatenated. A string result is written as it is, anything else
 * as its json.Marshal text (`Promote ${{ 1 }}` → `Promote 1`, `${{ {"a":1} }}` → `{"a":1}`). An expression
 * ends at the first closing delimiter, even inside a string or map literal (`{"a": {"b": 1}}` breaks).
 */
function render(template: string, env: ExpressionEnv): string {
  let out = '';
  let rest = template;
  for (;;) {
    const starts = DELIMITERS.map(([open, close]) => ({ open, close, at: rest.indexOf(open) })).filter((d) => d.at >= 0);
    const first = starts.sort((a, b) => a.at - b.at)[0];
    if (first === undefined) return out + rest;
    const from = first.at + first.open.length;
    const end = rest.indexOf(first.close, from);
    if (end < 0) throw new ExpressionError(`unclosed expression: expected "${first.close}" but reached end of template`, { expression: template });
    const value = evaluateExpression(rest.slice(from, end), env);
    out += rest.slice(0, first.at) + (typeof value === 'string' ? value : goJSON(value));
    rest = rest.slice(end + first.close.length);
  }
}

/**
 * Turns a rendered template into a value the way EvaluateTemplate does, in this order: one trailing newline
 * is set aside; text wrapped in double quotes → the text inside, as a string (quote()'s escape hatch); else
 * strconv.ParseFloat → number (`1.10` → 1.1, `0123` → 123, `1_000` → 1000, `inf` → Infinity); else
 * strconv.ParseBool → boolean (`t`, `True`, `0` never: it was a number); else JSON → its value; else the string.
 */
function jsonify(rendered: string): unknown {
  const newline = rendered.endsWith('\n');
  const text = newline ? rendered.slice(0, -1) : rendered;
  const restore = newline ? '\n' : '';
  if (text.length > 1 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1) + restore;
  const number = parseGoFloat(text);
  if (number !== undefined) return number;
  const boolean = parseGoBool(text);
  if (boolean !== undefined) return boolean;
  const json = goUnmarshal(text);
  return json.ok ? json.value : text + restore;
}

/**
 * Evaluates a Kargo template: a string with `${{ … }}` and/or `${% … %}` expressions, as Kargo evaluates
 * promotion variables, a step's `if` and each string of a step's config. Without a delimiter the string
 * comes back unchanged (so `"42"` stays a string); with one, the result is JSON-ified (see the README of
 * this rule in json_templates.go): `${{ imageFrom(r).Tag }}` with tag `1.10` is the number 1.1 — wrap it
 * in quote() to keep a string. Numbers come back as JavaScript numbers (float64, as in Kargo).
 * @throws {ExpressionError}
 */
export function evaluateTemplate(template: string, env: ExpressionEnv): unknown {
  if (!DELIMITERS.some(([open]) => template.includes(open))) return template;
  return jsonify(render(template, env));
}

function evaluateValues(value: unknown, env: ExpressionEnv): unknown {
  if (typeof value === 'string') return evaluateTemplate(value, env);
  if (Array.isArray(value)) return value.map((v: unknown) => evaluateValues(v, env));
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluateValues(v, env)]));
  return value;
}

/**
 * Evaluates a step's `config` like EvaluateJSONTemplate: every string value, at any depth, is a template;
 * keys are never evaluated; other values pass through. The result must survive json.Marshal, so a value
 * that became NaN or ±Infinity (a tag named `inf`) fails the step, as in Kargo.
 * @throws {ExpressionError}
 */
export function evaluateStepConfig(config: Readonly<Record<string, unknown>>, env: ExpressionEnv): Record<string, unknown> {
  for (const reserved of ['quote', 'asYAML', 'asJSON']) {
    if (Object.hasOwn(env.variables, reserved)) throw new ExpressionError(`"${reserved}" is a forbidden key in the environment map; it is reserved for internal use`);
  }
  if (!isMap(config)) throw new ExpressionError('a step config must be an object');
  const evaluated = evaluateValues(config, env) as Record<string, unknown>;
  goJSON(evaluated); // throws "json: unsupported value: +Inf" where Kargo's json.Marshal fails
  return evaluated;
}

/**
 * Whether a step runs, as Kargo's StepEvaluator.ShouldSkip decides (this returns its negation): without
 * `if`, the step runs unless an earlier step Errored or Failed without continueOnError; with one, the
 * template must evaluate to a boolean — `"${{ 'true' }}"` counts (ParseBool), a number or `"true"` without
 * delimiters (a string) is an error.
 * @throws {ExpressionError}
 */
export function evaluateCondition(ifExpression: string | undefined, env: ExpressionEnv): boolean {
  if (ifExpression === undefined || ifExpression === '') return !hasFailures(env.steps ?? []);
  const value = evaluateTemplate(ifExpression, env);
  if (typeof value !== 'boolean') throw new ExpressionError(`expression must evaluate to a boolean, got ${goType(value)}`, { expression: ifExpression });
  return value;
}
