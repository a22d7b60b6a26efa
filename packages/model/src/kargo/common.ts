// Building blocks shared by the Kargo kinds: names, object metadata, expressions, selectors, vars.
import { z } from 'zod';

/** DNS-1123 subdomain (names of most Kubernetes objects), as the Kargo CRDs spell it. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** DNS-1123 label: Namespace names, hence Project names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Duration of Warehouse `interval` and Stage `requiredSoakTime` (CRD pattern, anchored). */
export const KARGO_DURATION = /^([0-9]+(\.[0-9]+)?(s|m|h))+$/;
/**
 * Go duration as the step schemas check it. Unanchored on purpose: the upstream pattern is, so any
 * string that contains a duration passes there and here alike.
 */
export const STEP_DURATION = /(?:\d+(ns|us|µs|ms|s|m|h))+/u;

export const ResourceNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(DNS1123_SUBDOMAIN, { message: 'must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")' });

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `label key prefix "${prefix}" must be a DNS-1123 subdomain`;
  }
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `label key "${key}" must be a qualified name of at most 63 characters`;
  }
  return undefined;
}

/** Kubernetes labels: qualified-name keys, values of at most 63 characters. */
export const LabelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [key, value] of Object.entries(labels)) {
    const problem = labelKeyProblem(key);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: problem, params: { code: 'invalid-label' } });
    if (value.length > 63 || !LABEL_VALUE.test(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'label values are at most 63 characters of letters, digits, "-", "_" and ".", starting and ending alphanumeric',
        params: { code: 'invalid-label' },
      });
    }
  }
});

export const AnnotationsSchema = z.record(z.string(), z.string());

export const OwnerReferenceSchema = z.strictObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().min(1),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReferenceSchema>;

/**
 * The metadata a person writes. Server-populated fields (uid, resourceVersion, creationTimestamp,
 * managedFields, …) are rejected: strip them before validating an object read back from a cluster.
 */
export const ObjectMetaSchema = z
  .strictObject({
    name: ResourceNameSchema.optional(),
    generateName: z.string().min(1).optional(),
    namespace: z
      .string()
      .max(63)
      .regex(DNS1123_LABEL, { message: 'must be a DNS-1123 label (a Namespace name)' })
      .optional(),
    labels: LabelsSchema.optional(),
    annotations: AnnotationsSchema.optional(),
    finalizers: z.array(z.string().min(1)).optional(),
    ownerReferences: z.array(OwnerReferenceSchema).optional(),
  })
  .refine((m) => m.name !== undefined || m.generateName !== undefined, {
    message: 'metadata needs a name (or generateName)',
    path: ['name'],
    params: { code: 'missing-name' },
  });
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/**
 * A Kargo expression. Kargo evaluates `${{ … }}` (and, since v1.9.0, `${% … %}`) in a step's config
 * before it validates the config, so a field that wants a number, boolean, array or object may
 * hold an expression string instead.
 */
export const ExpressionSchema = z.union([
  z.templateLiteral(['${{', z.string(), '}}']),
  z.templateLiteral(['${%', z.string(), '%}']),
]);
export type Expression = z.infer<typeof ExpressionSchema>;

export function isExpression(value: unknown): value is Expression {
  return ExpressionSchema.safeParse(value).success;
}

/** `schema`, or an expression that Kargo evaluates to a value of that schema. */
export function exprOr<T extends z.ZodType>(schema: T, expected: string): z.ZodUnion<[T, typeof ExpressionSchema]> {
  return z.union([schema, ExpressionSchema], {
    error: `expected ${expected} or an expression \${{ … }}`,
  });
}

/** A string that satisfies `pattern` once Kargo has evaluated any expression in it. */
export function patternOrExpr(pattern: RegExp, message: string): z.ZodString {
  return z.string().refine((v) => isExpression(v) || pattern.test(v), { message });
}

/** A string from `values`, or an expression evaluated to one. */
export function enumOrExpr<const T extends readonly [string, ...string[]]>(
  values: T,
): z.ZodUnion<[z.ZodEnum<{ [K in T[number]]: K }>, typeof ExpressionSchema]> {
  return z.union([z.enum(values), ExpressionSchema], {
    error: `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')} or an expression \${{ … }}`,
  });
}

/** `{name, value?}`: a variable of a Stage, Promotion, task or step. */
export const VarSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[a-zA-Z_]\w*$/, { message: 'a var name is a letter or "_" followed by letters, digits or "_"' }),
  value: z.string().optional(),
});
export type Var = z.infer<typeof VarSchema>;

export const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type LabelSelectorOperator = (typeof LABEL_SELECTOR_OPERATORS)[number];

export const LabelSelectorRequirementSchema = z
  .strictObject({
    key: z.string().min(1),
    operator: z.enum(LABEL_SELECTOR_OPERATORS),
    values: z.array(z.string()).optional(),
  })
  .superRefine((req, ctx) => {
    const count = req.values?.length ?? 0;
    if ((req.operator === 'In' || req.operator === 'NotIn') && count === 0) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${req.operator} needs at least one value`, params: { code: 'selector-values' } });
    }
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && count > 0) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${req.operator} takes no values`, params: { code: 'selector-values' } });
    }
  });
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirementSchema>;

export const LabelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
});
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

/** `{name}`: a Secret in the same namespace. */
export const LocalObjectReferenceSchema = z.strictObject({ name: z.string().min(1) });
export type LocalObjectReference = z.infer<typeof LocalObjectReferenceSchema>;

/** Where Freight comes from; `Warehouse` is the only kind. */
export const FreightOriginSchema = z.strictObject({
  kind: z.literal('Warehouse'),
  name: z.string().min(1),
});
export type FreightOrigin = z.infer<typeof FreightOriginSchema>;

/**
 * Status is written by Kargo, not by authors: accepted as any object so that objects read back
 * from a cluster still parse, and never checked.
 */
export const LooseStatusSchema = z.record(z.string(), z.unknown());

/** True when an optional string field counts as set for the step schemas' one-of rules (`""` counts as unset). */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** One key of `S` set to its schema's type, every other key of `S` absent. */
export type OneOf<S extends Record<string, z.ZodType>> = {
  [K in keyof S]: { [P in K]: z.infer<S[P]> } & { [Q in Exclude<keyof S, K>]?: never };
}[keyof S];

/** The object type of a shape; `unknown` (neutral in an intersection) for the empty shape. */
type ShapeType<B extends z.ZodRawShape> = [keyof B] extends [never] ? unknown : z.infer<z.ZodObject<B, z.core.$strict>>;

/**
 * A strict object with the fields of `base` plus exactly one of the keys of `variants` (the
 * "exactly one of" rules of Kargo's CRDs and webhooks). The TS type says so too, so a literal
 * with two variant keys fails to compile; the runtime check reports `message` on the object.
 */
export function exactlyOneOf<S extends Record<string, z.ZodType>, B extends z.ZodRawShape>(
  variants: S,
  base: B,
  describe: string,
): z.ZodType<OneOf<S> & ShapeType<B>> {
  const keys = Object.keys(variants);
  const optional: Record<string, z.ZodType> = {};
  for (const key of keys) optional[key] = (variants[key] as z.ZodType).optional();
  const schema = z.strictObject({ ...base, ...optional }).superRefine((value, ctx) => {
    const record = value as Record<string, unknown>;
    const present = keys.filter((k) => record[k] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          present.length === 0
            ? `${describe} needs exactly one of ${keys.join(', ')}`
            : `${describe} takes exactly one of ${keys.join(', ')}, not ${present.join(' and ')}`,
        params: { code: 'exactly-one-of' },
      });
    }
  });
  // The runtime object type is the all-optional shape; the one-of refinement makes the narrower type true.
  return schema as unknown as z.ZodType<OneOf<S> & ShapeType<B>>;
}
