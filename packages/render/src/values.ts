// Per-environment Helm values files: render owns some keys, Kargo owns the image tag, and people own comments.
import { Document, Scalar, isMap, parseDocument } from 'yaml';
import { KargoRenderError, RenderErrorCode } from './errors.ts';
import { YAML_OPTIONS } from './emit.ts';

/** A tree of Helm values (maps, lists, scalars). */
export type ValuesTree = Readonly<Record<string, unknown>>;

export interface MergeValuesOptions {
  /** Path of the key Kargo writes. @default ['image', 'tag'] */
  readonly tagPath?: readonly string[];
  /** Comment at the top of a new file. @default a note on who owns which key */
  readonly header?: string;
  /** Name used in error messages. @default `values file` */
  readonly filename?: string;
}

export const VALUES_HEADER =
  ' Helm values rendered by kargo-env from kargo-env.yaml. A promotion copies this file to the environment\'s\n' +
  ' branch and sets image.tag there (Argo CD deploys that copy); image.tag here is only the placeholder it\n' +
  ' replaces. Comments and key order survive re-rendering.';

/** Headers earlier versions wrote; a re-render replaces them, since they describe the single-branch layout. */
const LEGACY_VALUES_HEADERS: readonly string[] = [
  ' Helm values rendered by kargo-env. image.tag belongs to Kargo (promotions write it);\n the other keys come from kargo-env.yaml. Comments and key order survive re-rendering.',
];

function isTree(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The tag as a quoted string, so tags like `1.10` never read back as the number 1.1. */
function tagNode(tag: string): Scalar<string> {
  const node = new Scalar(tag);
  node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/** Leaf paths of `owned` in its own key order; maps recurse, everything else is set whole. */
function leaves(tree: ValuesTree, prefix: readonly string[], out: [string[], unknown][]): void {
  for (const [key, value] of Object.entries(tree)) {
    if (value === undefined) continue;
    const path = [...prefix, key];
    if (isTree(value) && Object.keys(value).length > 0) leaves(value, path, out);
    else out.push([path, value]);
  }
}

/**
 * Merges the keys render owns into a values file. Without an `existing` file (or with an empty one) it
 * writes `owned` plus the tag at `initialTag`. With one, it keeps Kargo's tag, every comment, the
 * order of keys already there and keys it does not own; owned keys take the configured value, new ones
 * are appended.
 */
export function mergeValuesFile(existing: string | undefined, owned: ValuesTree, initialTag: string, options: MergeValuesOptions = {}): string {
  const tagPath = options.tagPath ?? ['image', 'tag'];
  const doc = existing === undefined || existing.trim() === '' ? undefined : parseDocument(existing, { keepSourceTokens: false });
  if (doc !== undefined && doc.errors.length > 0) {
    throw new KargoRenderError(RenderErrorCode.InvalidValuesFile, `${options.filename ?? 'values file'}: ${doc.errors[0]?.message ?? 'invalid YAML'}`, {
      cause: doc.errors[0],
      hint: 'fix or delete the file; render rewrites it from the config',
    });
  }
  if (doc !== undefined && doc.contents !== null && !isMap(doc.contents)) {
    throw new KargoRenderError(RenderErrorCode.InvalidValuesFile, `${options.filename ?? 'values file'}: the top level is not a map of values`);
  }
  const target: Document = doc ?? new Document({});
  if (doc === undefined || (doc.commentBefore != null && LEGACY_VALUES_HEADERS.includes(doc.commentBefore))) target.commentBefore = options.header ?? VALUES_HEADER;
  if (target.contents === null) target.contents = target.createNode({});

  const sets: [string[], unknown][] = [];
  leaves(owned, [], sets);
  const tagKey = tagPath.join('.');
  let tagPlaced = false;
  for (const [path, value] of sets) {
    if (path.join('.') === tagKey) continue; // Kargo's key, never the config's.
    try {
      target.setIn(path, value);
    } catch (cause) {
      throw new KargoRenderError(RenderErrorCode.InvalidValuesFile, `${options.filename ?? 'values file'}: cannot set ${path.join('.')}: a parent key holds a scalar`, { cause });
    }
    // A new file gets the tag right after the repository, where people expect it.
    if (!tagPlaced && path.length === tagPath.length && path.slice(0, -1).join('.') === tagPath.slice(0, -1).join('.') && !target.hasIn(tagPath)) {
      target.setIn(tagPath, tagNode(initialTag));
      tagPlaced = true;
    }
  }
  if (!target.hasIn(tagPath)) target.setIn(tagPath, tagNode(initialTag));
  return target.toString(YAML_OPTIONS);
}
