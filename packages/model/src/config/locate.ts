// Maps a path into the parsed data back to a line and column of the YAML source.
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

function startOf(node: Node | null | undefined, lineCounter: LineCounter): SourcePosition | undefined {
  const offset = node?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function keyMatches(key: unknown, segment: PropertyKey): boolean {
  return isScalar(key) && String(key.value) === String(segment);
}

/**
 * Position of `path` in `doc`: a scalar's value, or the key that introduces a map or list (so a problem with
 * `image` points at `image:`). When the path does not exist (a missing field), the nearest existing parent.
 * With `atKey`, the last segment's key itself (for unknown fields).
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  options: { readonly atKey?: boolean } = {},
): SourcePosition | undefined {
  let node: unknown = doc.contents;
  let introducedBy: Node | null = null;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyMatches(p.key, segment));
      if (pair === undefined) return startOf(introducedBy ?? node, lineCounter);
      const key = pair.key as Node;
      if (last && options.atKey === true) return startOf(key, lineCounter);
      const value = pair.value as Node | null;
      if (value === null || value.range === undefined || value.range === null) return startOf(key, lineCounter);
      introducedBy = key;
      node = value;
    } else if (isSeq(node)) {
      const item = typeof segment === 'number' ? (node.items[segment] as Node | undefined) : undefined;
      if (item === undefined || item === null) return startOf(introducedBy ?? node, lineCounter);
      introducedBy = null;
      node = item;
    } else {
      return startOf((node as Node | null) ?? introducedBy, lineCounter);
    }
  }
  if ((isMap(node) || isSeq(node)) && introducedBy !== null) return startOf(introducedBy, lineCounter);
  return startOf(node as Node, lineCounter) ?? startOf(introducedBy, lineCounter);
}
