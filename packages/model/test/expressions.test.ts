// Pins the `${{ }}` expression evaluator (src/expressions) to Kargo v1.11.2: expr-lang v1.17.8 as Kargo compiles
// it (pkg/expressions/json_templates.go), Kargo's functions (pkg/expressions/function/functions.go) and how a
// step's `if`, vars and config are evaluated (pkg/promotion/evaluator.go). The tables are in
// ./expressions.cases.ts; the named tests below cover what a table row cannot show on its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ExpressionError,
  type ExpressionEnv,
  evaluateCondition,
  evaluateExpression,
  evaluateStepConfig,
  evaluateTemplate,
  type PromotionContext,
  type StepExecution,
  StepStatus,
  stepExpressionEnv,
} from '../src/expressions/index.ts';
import { goJSON, goQuote } from '../src/expressions/go.ts';
import * as T from './expressions.cases.ts';

type Step = { readonly alias: string; readonly status: string; readonly continueOnError?: boolean };

/** The env of every table row: T.VARIABLES plus the Freight and Secrets of the cases file. */
function tableEnv(steps?: readonly Step[], stepAlias = ''): ExpressionEnv {
  return {
    variables: T.VARIABLES,
    functions: {
      imageFrom: (repoURL) => T.IMAGES.find((i) => i.repoURL === repoURL) ?? null,
      commitFrom: (repoURL) => T.COMMITS.find((c) => c.repoURL === repoURL) ?? null,
      chartFrom: (repoURL, name) => T.CHARTS.find((c) => c.repoURL === repoURL && (name === undefined || name === '' || c.name === name)) ?? null,
      secret: (name) => T.SECRETS[name] ?? {},
    },
    ...(steps === undefined ? {} : { steps: steps as readonly StepExecution[], stepAlias }),
  };
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an ExpressionError, got a value');
}

function expectOutcome(run: () => unknown, expected: T.Expected): void {
  if (expected !== null && typeof expected === 'object' && 'error' in expected) {
    const error = caught(run);
    expect(error).toBeInstanceOf(ExpressionError);
    const e = error as ExpressionError;
    expect(e.detail).toBe(expected.error);
    expect(e.column).toBe(expected.column);
    expect(e.message.startsWith(expected.error)).toBe(true);
    return;
  }
  const value = run();
  if (expected !== null && typeof expected === 'object') expect(JSON.parse(goJSON(value))).toEqual(JSON.parse(expected.json));
  else expect(value).toBe(expected); // Object.is: 1n is not 1, -0 is not 0
}

const show = (row: T.Row): T.Row => row;

describe('expressions (expr-lang v1.17.8 as Kargo v1.11.2 compiles it)', () => {
  const tables = { literals: T.LITERALS, arithmetic: T.ARITHMETIC, 'comparison and membership': T.COMPARISONS, 'logic, ternary and ??': T.LOGIC, 'member access and slices': T.MEMBERS, builtins: T.BUILTINS, 'Kargo functions': T.KARGO_FUNCTIONS, 'parse errors': T.PARSE_ERRORS };
  for (const [name, rows] of Object.entries(tables)) {
    describe(name, () => {
      it.each(rows.map(show))('%s', (source, expected) => expectOutcome(() => evaluateExpression(source, tableEnv()), expected));
    });
  }

  it('keeps broad tables without duplicate rows', () => {
    const all = Object.values(tables).flat();
    expect(all.length).toBeGreaterThanOrEqual(400);
    expect(all.filter(([s], i) => all.findIndex(([t]) => t === s) !== i)).toEqual([]);
    // Both sides of each table: values and failures.
    for (const rows of Object.values(tables).slice(0, -1)) {
      expect(rows.some(([, e]) => e !== null && typeof e === 'object' && 'error' in e)).toBe(true);
      expect(rows.some(([, e]) => !(e !== null && typeof e === 'object' && 'error' in e))).toBe(true);
    }
  });
});

describe('templates (json_templates.go EvaluateTemplate)', () => {
  it.each(T.TEMPLATES.map(show))('%s', (template, expected) => expectOutcome(() => evaluateTemplate(template, tableEnv()), expected));

  it('the JSON-ify trap: a whole-string ${{ }} of tag 1.10 is the number 1.1; quote() keeps the text', () => {
    const env = tableEnv();
    expect(evaluateTemplate('${{ imageFrom("ghcr.io/acme/app").Tag }}', env)).toBe(1.1);
    expect(evaluateTemplate('${{ quote(imageFrom("ghcr.io/acme/app").Tag) }}', env)).toBe('1.10');
    // Anything around the expression makes the text no number: it stays a string, with no quote() needed.
    expect(evaluateTemplate('v${{ imageFrom("ghcr.io/acme/app").Tag }}-x', env)).toBe('v1.10-x');
    expect(evaluateTemplate('${{ imageFrom("ghcr.io/acme/app").Tag }}-x', env)).toBe('1.10-x');
    // …but quote() inside a longer text leaves its quotes in.
    expect(evaluateTemplate('tag ${{ quote(imageFrom("ghcr.io/acme/app").Tag) }}', env)).toBe('tag "1.10"');
    // Other tags the trap turns into something else: 007 → 7, true → true, 1e3 → 1000.
    expect(evaluateTemplate('${{ imageFrom("ghcr.io/acme/zeros").Tag }}', env)).toBe(7);
    expect(evaluateTemplate('${{ imageFrom("ghcr.io/acme/yes").Tag }}', env)).toBe(true);
    expect(evaluateTemplate('${{ imageFrom("ghcr.io/acme/exp").Tag }}', env)).toBe(1000);
  });

  it('a string without a delimiter is never JSON-ified, and ${% %} lets }} appear inside', () => {
    expect(evaluateTemplate('42', tableEnv())).toBe('42');
    expect(evaluateTemplate('true', tableEnv())).toBe('true');
    expect(evaluateTemplate('{"a": 1}', tableEnv())).toBe('{"a": 1}');
    expect(evaluateTemplate('${% "{{ .Values.x }}" %}', tableEnv())).toBe('{{ .Values.x }}');
  });
});

describe('step conditions (evaluator.go ShouldSkip, functions.go StatusOperations)', () => {
  it.each(T.CONDITIONS.map(show))('after clone ✓, update ✗, lint ✗ (continueOnError): %s', (cond, expected) =>
    expectOutcome(() => evaluateCondition(cond, tableEnv(T.STEPS, 'step-5')), expected),
  );
  it.each(T.TASK_CONDITIONS.map(show))('inside task "task": %s', (cond, expected) =>
    expectOutcome(() => evaluateCondition(cond, tableEnv(T.STEPS, 'task::c')), expected),
  );
  it.each(T.CONTINUE_ON_ERROR_CONDITIONS.map(show))('after a failure with continueOnError: %s', (cond, expected) =>
    expectOutcome(() => evaluateCondition(cond, tableEnv([{ alias: 'clone', status: 'Succeeded' }, { alias: 'opt', status: 'Failed', continueOnError: true }], 'x')), expected),
  );
  it.each(T.FIRST_STEP_CONDITIONS.map(show))('before any step: %s', (cond, expected) =>
    expectOutcome(() => evaluateCondition(cond, tableEnv([], 'first')), expected),
  );

  it('without an `if`, a step runs unless an earlier one Errored or Failed without continueOnError', () => {
    const failed = tableEnv([{ alias: 'a', status: StepStatus.Failed }]);
    const errored = tableEnv([{ alias: 'a', status: StepStatus.Errored }]);
    const tolerated = tableEnv([{ alias: 'a', status: StepStatus.Errored, continueOnError: true }, { alias: 'b', status: StepStatus.Skipped }]);
    expect(evaluateCondition(undefined, failed)).toBe(false);
    expect(evaluateCondition('', errored)).toBe(false);
    expect(evaluateCondition(undefined, tolerated)).toBe(true);
    expect(evaluateCondition(undefined, tableEnv([]))).toBe(true);
    // An explicit if decides alone: always() runs the step after a failure, success() does not.
    expect(evaluateCondition('${{ always() }}', failed)).toBe(true);
    expect(evaluateCondition('${{ success() }}', failed)).toBe(false);
    expect(evaluateCondition('${{ failure() }}', failed)).toBe(true);
  });
});

describe('stepExpressionEnv (evaluator.go BuildExprEnv, Vars, ExprEnvWith*)', () => {
  const promotion: PromotionContext = {
    project: 'shop',
    stage: 'dev',
    promotion: 'dev.01j.abc',
    uiBaseUrl: 'https://kargo.example.com',
    actor: 'admin',
    targetFreight: { name: 'f0123', alias: 'wonky-wombat', origin: 'shop' },
    vars: [
      { name: 'repo', value: 'https://github.com/acme/gitops.git' },
      { name: 'branch', value: 'env/${{ ctx.stage }}' },
      { name: 'replicas', value: '${{ 2 }}' },
      { name: 'twice', value: '${{ vars.replicas * 2 }}' },
    ],
    state: { clone: { commit: 'c0ffee' }, 'update::set': { count: 3 }, 'update::render': { file: 'a.yaml' }, 'other::x': { n: 1 } },
    steps: [
      { alias: 'clone', status: StepStatus.Succeeded },
      { alias: 'update::set', status: StepStatus.Succeeded },
      { alias: 'update::render', status: StepStatus.Failed, continueOnError: true, message: 'boom', errorCount: 2 },
    ],
    functions: { imageFrom: (repoURL) => (repoURL === 'ghcr.io/acme/app' ? { repoURL, tag: '1.10' } : null) },
  };

  it('exposes ctx exactly as BuildCtxMap builds it', () => {
    const env = stepExpressionEnv(promotion, { alias: 'push' });
    expect(evaluateTemplate('${{ ctx }}', env)).toEqual({
      uiBaseUrl: 'https://kargo.example.com',
      project: 'shop',
      promotion: 'dev.01j.abc',
      stage: 'dev',
      targetFreight: { name: 'f0123', alias: 'wonky-wombat', origin: { name: 'shop' } },
      meta: { promotion: { actor: 'admin', rollback: false }, step: { alias: 'push' } },
    });
  });

  it('evaluates the promotion vars in order, each seeing the earlier ones, and JSON-ifies each', () => {
    const env = stepExpressionEnv(promotion, { alias: 'push' });
    expect(evaluateTemplate('${{ vars }}', env)).toEqual({ repo: 'https://github.com/acme/gitops.git', branch: 'env/dev', replicas: 2, twice: 4 });
    // vars.replicas came back as float64 2 from its template, so the product is a float too.
    expect(evaluateExpression('vars.twice', env)).toBe(4);
  });

  it('gives step vars outputs, task outputs and stepMetas, which promotion vars do not see', () => {
    const env = stepExpressionEnv(promotion, {
      alias: 'update::commit',
      vars: [
        { name: 'commit', value: '${{ outputs.clone.commit }}' },
        { name: 'count', value: '${{ task.outputs.set.count }}' },
        { name: 'file', value: '${{ task.outputs.render.file }}' },
      ],
    });
    expect(evaluateExpression('[vars.commit, vars.count, vars.file, vars.branch]', env)).toEqual(['c0ffee', 3, 'a.yaml', 'env/dev']);
    // task.outputs holds only the same task's steps, under their short aliases.
    expect(evaluateTemplate('${{ task.outputs }}', env)).toEqual({ set: { count: 3 }, render: { file: 'a.yaml' } });
    expect(() => stepExpressionEnv({ ...promotion, vars: [{ name: 'early', value: '${{ outputs.clone.commit }}' }] }, { alias: 'x' })).toThrow(
      'error pre-processing promotion variable "early": cannot fetch clone from <nil>',
    );
  });

  it('has no task entry outside a task, and stepMetas names earlier steps and the current one', () => {
    const env = stepExpressionEnv(promotion, { alias: 'push', continueOnError: true });
    expect(evaluateTemplate('${{ task }}', env)).toBeNull();
    expect(evaluateExpression('stepMetas["update::render"].Status', env)).toBe('Failed');
    expect(evaluateExpression('stepMetas["update::render"].ErrorCount', env)).toBe(2n);
    // Context.SetCurrentStep registers the step before its if and config are evaluated, without a status.
    expect(evaluateExpression('[stepMetas.push.Alias, stepMetas.push.Status, stepMetas.push.ContinueOnError, stepMetas.push.FinishedAt]', env)).toEqual(['push', '', true, null]);
    expect(evaluateExpression('status("push")', env)).toBe('');
    // When a step started and finished is only known in a real promotion: refused, never made up.
    expect(caught(() => evaluateExpression('stepMetas.clone.StartedAt', env))).toMatchObject({ construct: 'v1alpha1.StepExecutionMetadata.StartedAt (only known during a real promotion)' });
    expect(caught(() => evaluateTemplate('${{ stepMetas.clone }}', env))).toMatchObject({ construct: 'v1alpha1.StepExecutionMetadata.StartedAt (only known during a real promotion)' });
    // A Skipped step never started.
    const skipped = stepExpressionEnv({ ...promotion, steps: [{ alias: 'lint', status: StepStatus.Skipped }] }, { alias: 'push' });
    expect(evaluateTemplate('${{ stepMetas.lint }}', skipped)).toEqual({ alias: 'lint', status: 'Skipped' });
    expect(evaluateExpression('success()', env)).toBe(true);
  });

  it('offers the status functions to if and config, not to variables', () => {
    expect(() => stepExpressionEnv({ ...promotion, vars: [{ name: 'ok', value: '${{ success() }}' }] }, { alias: 'x' })).toThrow(
      /error pre-processing promotion variable "ok": unknown function success\(\): cannot call nil \(Kargo provides success\(\) only in a step's if and config/,
    );
    expect(() => stepExpressionEnv(promotion, { alias: 'x', vars: [{ name: 'st', value: '${{ status("clone") }}' }] })).toThrow(/unknown function status\(\)/);
    const env = stepExpressionEnv(promotion, { alias: 'x' });
    expect(evaluateCondition('${{ status("clone") == "Succeeded" && success() }}', env)).toBe(true);
  });

  it('reads imageFrom() from the functions the caller supplies, and names a missing one', () => {
    const env = stepExpressionEnv(promotion, { alias: 'x' });
    expect(evaluateStepConfig({ tag: '${{ imageFrom("ghcr.io/acme/app").Tag }}', quoted: '${{ quote(imageFrom("ghcr.io/acme/app").Tag) }}' }, env)).toEqual({ tag: 1.1, quoted: '1.10' });
    expect(() => evaluateTemplate('${{ secret("db").url }}', env)).toThrow('secret(): this environment supplies no data for it at column 2 in " secret(\\"db\\").url "');
    const throwing: ExpressionEnv = { ...env, functions: { secret: () => { throw new Error('secrets are not available'); } } };
    expect(() => evaluateExpression('secret("db")', throwing)).toThrow('secret(): secrets are not available at column 1');
  });
});

describe('evaluateStepConfig (json_templates.go EvaluateJSONTemplate)', () => {
  const env = tableEnv();

  it('evaluates every string at any depth, never keys, and passes other values through', () => {
    const config = {
      path: './out/${{ s }}.yaml',
      count: '${{ i + 1 }}',
      flag: '${{ t }}',
      plain: 42,
      off: false,
      none: null,
      '${{ s }}': 'key stays',
      nested: { list: ['${{ tag }}', '${{ quote(tag) }}', 1, { deep: '${{ m.a }}' }] },
    };
    expect(evaluateStepConfig(config, env)).toEqual({
      path: './out/hello.yaml',
      count: 8,
      flag: true,
      plain: 42,
      off: false,
      none: null,
      '${{ s }}': 'key stays',
      nested: { list: [1.1, '1.10', 1, { deep: { b: 1 } }] },
    });
  });

  it('refuses an env holding quote, asJSON or asYAML, and a value json.Marshal cannot write', () => {
    expect(() => evaluateStepConfig({}, { variables: { quote: 1 } })).toThrow('"quote" is a forbidden key in the environment map; it is reserved for internal use');
    expect(() => evaluateStepConfig({}, { variables: { asYAML: 1 } })).toThrow('"asYAML" is a forbidden key');
    expect(() => evaluateStepConfig({ v: '${{ imageFrom("ghcr.io/acme/inf").Tag }}' }, env)).toThrow('json: unsupported value: +Inf');
    expect(() => evaluateStepConfig({ v: '${{ 1 / 0 }}' }, env)).toThrow('json: unsupported value: +Inf');
  });

  it('reports the first failing expression with its text and column', () => {
    const error = caught(() => evaluateStepConfig({ a: 'ok', b: ['${{ upper(1) }}'] }, env)) as ExpressionError;
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error.message).toBe('cannot use int as argument (type string) to call upper at column 8 in " upper(1) "');
    expect(error.expression).toBe(' upper(1) ');
    expect(error.column).toBe(8);
  });
});

describe('errors', () => {
  it.each([
    ['map(arr, x)', 'builtin map with a predicate'],
    ['filter(arr, # > 1)', 'predicate pointer #'],
    ['a | b', 'pipe operator |'],
    ['let x = 1; x', 'variable declaration let'],
    ['1; 2', 'sequence operator ;'],
    ['s.upper()', 'method call .upper()'],
    ['if t { 1 } else { 2 }', 'if/else expression'],
    ['b"x"', 'byte string literal'],
    ['::upper("a")', 'global function call ::'],
    ['asYAML({a: 1})', 'asYAML() (go-yaml v3 formatting)'],
    ['artifactFrom("sub")', 'function artifactFrom()'],
    ['now()', 'function now()'],
    ['u[1:2]', 'a string slice that cuts a multi-byte UTF-8 character (Go slices bytes)'],
    ['s matches "(?i)H"', 'regular expression "(?i)H"'],
  ])('%s is refused as unsupported (%s), never guessed', (source, construct) => {
    const error = caught(() => evaluateExpression(source, tableEnv())) as ExpressionError;
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error.construct).toBe(construct);
    expect(error.detail).toBe(`unsupported: ${construct}`);
    expect(error.expression).toBe(source);
  });

  it('says where: detail, 1-based column and the expression, in one message', () => {
    const error = caught(() => evaluateExpression('imageFrom("ghcr.io/acme/app").Tagg', tableEnv())) as ExpressionError;
    expect(error.message).toBe('type *v1alpha1.Image has no field Tagg at column 31 in "imageFrom(\\"ghcr.io/acme/app\\").Tagg"');
    expect(caught(() => evaluateExpression('foo(1)', tableEnv()))).toMatchObject({ detail: 'unknown function foo(): cannot call nil', column: 1 });
    expect(caught(() => evaluateExpression('upper("a", "b")', tableEnv()))).toMatchObject({ detail: 'too many arguments to call upper', column: 1 });
    expect(caught(() => evaluateExpression('warehouse()', tableEnv()))).toMatchObject({ detail: 'not enough arguments to call warehouse', column: 1 });
    expect(caught(() => evaluateExpression('(1 +\n 2', tableEnv()))).toMatchObject({ detail: 'unexpected EOF', column: 8 });
    // Compile errors fail even in a branch that would never run, as expr.Compile checks the whole tree first.
    expect(caught(() => evaluateExpression('false ? 1 == "1" : 2', tableEnv()))).toMatchObject({ detail: 'invalid operation: == (mismatched types int and string)' });
  });

  it('holds env values as Go values: bigint int, number float64, undefined nil; anything else is refused', () => {
    const env: ExpressionEnv = { variables: { count: 3, n: 3n, gone: undefined, when: new Date(0) } };
    expect(evaluateExpression('count / 2', env)).toBe(1.5);
    expect(evaluateExpression('n % 2', env)).toBe(1n);
    expect(caught(() => evaluateExpression('count % 2', env))).toMatchObject({ detail: 'invalid operation: float64 % int' });
    expect(evaluateExpression('gone ?? "d"', env)).toBe('d');
    expect(caught(() => evaluateExpression('when', env))).toMatchObject({ detail: 'value of JavaScript type object cannot be an expression value' });
  });
});

describe('properties', () => {
  const RUNS = { numRuns: 300, seed: 20261205 };
  const int64 = fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n });
  const noDelimiter = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('${{') && !s.includes('${%'));

  it('a template without a delimiter comes back unchanged', () => {
    fc.assert(fc.property(noDelimiter, (text) => evaluateTemplate(text, tableEnv()) === text), RUNS);
  });

  it('text before an expression keeps the result a string: "v${{ x }}" is "v" + x for any string x', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (x) => evaluateTemplate('v${{ x }}', { variables: { x } }) === `v${x}`), RUNS);
  });

  it('quote() gives back %q without its outer quotes: the text itself when nothing needs escaping', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (x) => {
        const out = evaluateTemplate('${{ quote(x) }}', { variables: { x } });
        return out === goQuote(x).slice(1, -1) && (/^[\x20-\x7e]*$/.test(x) && !/["\\]/.test(x) ? out === x : true);
      }),
      RUNS,
    );
  });

  it('a version-like tag is a float without quote() and the exact text with it', () => {
    const tag = fc.tuple(fc.nat({ max: 99 }), fc.nat({ max: 999 })).map(([a, b]) => `${a}.${b}`);
    fc.assert(
      fc.property(tag, (t) => {
        const env: ExpressionEnv = { variables: {}, functions: { imageFrom: () => ({ tag: t }) } };
        return evaluateTemplate('${{ imageFrom("r").Tag }}', env) === Number(t) && evaluateTemplate('${{ quote(imageFrom("r").Tag) }}', env) === t;
      }),
      RUNS,
    );
  });

  it('int arithmetic is int64 and wraps; comparisons chain', () => {
    fc.assert(
      fc.property(int64, int64, int64, (a, b, c) => {
        const env: ExpressionEnv = { variables: { a, b, c } };
        const ev = (s: string): unknown => evaluateExpression(s, env);
        expect(ev('a + b')).toBe(BigInt.asIntN(64, a + b));
        expect(ev('a - b')).toBe(BigInt.asIntN(64, a - b));
        expect(ev('a * b')).toBe(BigInt.asIntN(64, a * b));
        if (b !== 0n) expect(ev('a % b')).toBe(a % b);
        expect(ev('a / b')).toBe(Number(a) / Number(b));
        expect(ev('a < b < c')).toBe(a < b && b < c);
        expect(ev('a in [b, c]')).toBe(a === b || a === c);
      }),
      RUNS,
    );
  });

  it('numeric literals read back as the same int64 or float64', () => {
    fc.assert(fc.property(int64, (n) => evaluateExpression(String(n), { variables: {} }) === n), RUNS);
    const literal = (d: number): string => (Object.is(d, -0) ? '-0.0' : /[.e]/.test(String(d)) ? String(d) : `${d}.0`);
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => Object.is(evaluateExpression(literal(d), { variables: {} }), d)), RUNS);
  });

  it('strings compare byte-wise (UTF-8) as Go does, and len() counts characters', () => {
    const str = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(str, str, (x, y) => {
        const env: ExpressionEnv = { variables: { x, y } };
        return evaluateExpression('x < y', env) === Buffer.compare(Buffer.from(x), Buffer.from(y)) < 0 && evaluateExpression('len(x)', env) === BigInt([...x].length);
      }),
      RUNS,
    );
  });

  it('join(split(s, sep), sep) is s for any non-empty separator', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ minLength: 1, maxLength: 3 }), (s, sep) => evaluateExpression('join(split(s, sep), sep)', { variables: { s, sep } }) === s),
      RUNS,
    );
  });

  it('any text either evaluates or fails with an ExpressionError, never another error', () => {
    const token = fc.constantFrom(
      ...'0 1 7 1.5 .5 1e3 0x1F "a" \'b\' ` x s arr m i f t nil true ( ) [ ] { } . ?. , : ? ?? ! not and or && || == != < <= > >= in + - * / % ** ^ .. # ; | $env upper( len( quote( imageFrom( status( "\\u00e9" "\\x" \n'.split(' '),
    );
    const text = fc.array(token, { maxLength: 12 }).map((parts) => parts.join(' '));
    fc.assert(
      fc.property(text, (source) => {
        try {
          evaluateExpression(source, tableEnv(T.STEPS, 'step-5'));
        } catch (error) {
          return error instanceof ExpressionError && error.detail !== '';
        }
        return true;
      }),
      { numRuns: 2000, seed: 20261205 },
    );
  });
});
