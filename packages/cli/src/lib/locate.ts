// Reads rendered YAML files back: the objects in them, and where a field sits, so validation problems of
// generated objects point at a line and column like config problems do.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';

export type PathSegment = string | number;

/** Parses the model's path form (`spec.steps[0].config["a.b"]`) back into segments. */
export function parseIssuePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const pattern = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(path)) !== null) {
    const [, index, quoted, key] = match;
    if (index !== undefined) segments.push(Number(index));
    else if (quoted !== undefined) segments.push(JSON.parse(quoted) as string);
    else if (key !== undefined) segments.push(key);
    if (pattern.lastIndex >= path.length) break;
  }
  return segments;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Locates objects by kind and name in one file's text; cheap to build once per file. */
export class YamlLocator {
  readonly #docs: Document.Parsed[];
  readonly #lines = new LineCounter();

  constructor(text: string) {
    this.#docs = parseAllDocuments(text, { lineCounter: this.#lines }) as Document.Parsed[];
  }

  #document(kind: string, name: string): Document.Parsed | undefined {
    return this.#docs.find((candidate) => candidate.get('kind') === kind && candidate.getIn(['metadata', 'name']) === name);
  }

  /** The plain value of the object `kind`/`name`, or undefined when the file has no such document. */
  object(kind: string, name: string): unknown {
    return this.#document(kind, name)?.toJS();
  }

  /**
   * The position of `path` inside the object `kind`/`name`; when the path does not exist (a missing field)
   * the deepest existing ancestor, so the user still lands on the right block.
   */
  find(kind: string, name: string, path: readonly PathSegment[]): Position | undefined {
    const doc = this.#document(kind, name);
    return doc === undefined ? undefined : findInDocument(doc, this.#lines, path);
  }
}

/**
 * The position of `path` in a parsed document (1-based); when the path does not exist (a missing field) the
 * deepest existing ancestor. Points at a field's key rather than its value: where an editor puts the cursor.
 */
export function findInDocument(doc: Document.Parsed, lines: LineCounter, path: readonly PathSegment[]): Position | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = isNode(node) ? node : undefined;
  let foundKey: Node | undefined;
  for (const segment of path) {
    let key: Node | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === segment);
      if (pair === undefined) break;
      key = isNode(pair.key) ? pair.key : undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      break;
    }
    if (!isNode(node)) {
      // `key:` with no value still has a key to point at.
      if (key !== undefined) foundKey = key;
      break;
    }
    found = node;
    foundKey = key;
  }
  const anchor = foundKey ?? found;
  const offset = anchor?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}
