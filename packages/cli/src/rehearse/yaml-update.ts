// Kargo's `yaml-update` edit, byte for byte: find the scalar a key path addresses, then rewrite that whole line
// from the scalar's column with the new value (Kargo v1.11.2 pkg/yaml/yaml.go SetValuesInBytes/findScalarNode,
// pkg/yaml/quote.go QuoteIfNecessary, pkg/sjson/split_key.go SplitKey). Written from those files' behaviour, not
// copied: the `yaml` package finds the node, and its offset is turned into the line and column go-yaml v3 reports.
import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Node } from 'yaml';

/** One update of a yaml-update step: `key` is a dotted key path, `value` any JSON value. */
export interface YamlUpdate {
  readonly key: string;
  readonly value: unknown;
}

/** A yaml-update problem, worded as Kargo words it. */
export class YamlUpdateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlUpdateError';
  }
}

/**
 * sjson-style key splitting (pkg/sjson/split_key.go): dots separate parts unless escaped with a backslash; `\:`
 * is a literal colon; an unescaped colon may only open a part (a hint that a numeric part is a map key, dropped);
 * empty parts and other escapes are errors.
 */
export function splitKey(key: string): string[] {
  const trimmed = key.trim();
  if (trimmed === '') throw new YamlUpdateError('empty key');
  const parts: string[] = [];
  let current = '';
  let escaped = false;
  // Byte-wise like Go; multi-byte characters pass through unchanged either way.
  for (const char of trimmed) {
    if (escaped) {
      if (char !== '.' && char !== ':') throw new YamlUpdateError(`invalid escape sequence in key ${goQuote(trimmed)}`);
      current += char;
      escaped = false;
      continue;
    }
    if (char === '\\') escaped = true;
    else if (char === '.') {
      if (current === '') throw new YamlUpdateError(`empty key part in key ${goQuote(trimmed)}`);
      parts.push(current);
      current = '';
    } else if (char === ':') {
      if (current !== '') throw new YamlUpdateError(`unexpected colon in key ${goQuote(trimmed)}`);
    } else current += char;
  }
  if (current === '') throw new YamlUpdateError(`empty key part in key ${goQuote(trimmed)}`);
  parts.push(current);
  return parts;
}

// ---------------------------------------------------------------------------------------------------------------
// Go formatting: QuoteIfNecessary and fmt's %v / %q, which decide the exact text written.
// ---------------------------------------------------------------------------------------------------------------

/** strconv.ParseFloat(s, 64) succeeds (no syntax error, no range error). */
function goParsesAsFloat(s: string): boolean {
  let t = s;
  if (t.startsWith('+') || t.startsWith('-')) t = t.slice(1);
  const lower = t.toLowerCase();
  if (lower === 'inf' || lower === 'infinity' || lower === 'nan') return true;
  let value: number;
  if (/^0x/i.test(t)) {
    // Hexadecimal mantissa needs a p exponent; underscores are allowed only with a base prefix.
    const m = /^0x((?:[0-9a-f]_?)*[0-9a-f]?)(?:\.((?:[0-9a-f]_?)*))?p([+-]?\d+)$/i.exec(t);
    if (m === null) return false;
    const intPart = (m[1] ?? '').replaceAll('_', '');
    const fracPart = (m[2] ?? '').replaceAll('_', '');
    if (intPart === '' && fracPart === '') return false;
    if (/__|^_|_$/.test(m[1] ?? '')) return false;
    const mantissa = parseInt(intPart === '' ? '0' : intPart, 16) + (fracPart === '' ? 0 : parseInt(fracPart, 16) / 16 ** fracPart.length);
    value = mantissa * 2 ** Number(m[3]);
  } else {
    if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return false;
    value = Number(t);
  }
  // A value beyond float64 is ErrRange: ParseFloat returns an error, so the string is not quoted by this rule.
  return Number.isFinite(value);
}

/** strconv.ParseBool. */
function goParsesAsBool(s: string): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s);
}

function jsonValid(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** fmt's %q of a string: strconv.Quote (Go escapes, printable Unicode kept). */
export function goQuote(s: string): string {
  let out = '"';
  for (const char of s) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (PRINTABLE.test(char)) out += char;
    else if (char === '\x07') out += '\\a';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** fmt's %v of a float64: strconv.FormatFloat(f, 'g', -1, 64), i.e. %e from an exponent of 6 (1e+06). */
export function goFormatFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  // Plain notation with the shortest digits (JavaScript's own for this exponent range).
  return String(value);
}

/** fmt's %v of a JSON value as Go decodes it (numbers are float64, objects map[string]any with sorted keys). */
export function goFormatValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goFormatFloat(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(goFormatValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goFormatValue(v)}`).join(' ')}]`;
  }
  return typeof value === 'bigint' ? value.toString() : '<unknown>';
}

/**
 * QuoteIfNecessary: a string a YAML parser would read as a number, a bool or other JSON (`1.10`, `true`, `null`,
 * `[1]`) is written as Go's %q of it; any other value as Go's %v.
 */
export function quoteIfNecessary(value: unknown): string {
  if (typeof value !== 'string') return goFormatValue(value);
  if (goParsesAsFloat(value) || goParsesAsBool(value) || jsonValid(value)) return goQuote(value);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Locating the scalar: go-yaml v3's Node.Line/Column (1-based; columns count characters; a node's position is
// that of its first property, anchor or tag, if it has one).
// ---------------------------------------------------------------------------------------------------------------

interface CstToken {
  readonly type: string;
  readonly offset: number;
  readonly source?: string;
}
interface CstItem {
  readonly start?: readonly CstToken[];
  readonly key?: CstToken | null;
  readonly sep?: readonly CstToken[];
  readonly value?: CstToken;
}

function propsStart(tokens: readonly CstToken[] | undefined): number | undefined {
  let first: number | undefined;
  for (const t of tokens ?? []) if ((t.type === 'anchor' || t.type === 'tag') && (first === undefined || t.offset < first)) first = t.offset;
  return first;
}

/** The offset go-yaml reports for `node`, the value of CST item `item` (`indicator`: `map-value-ind` or `seq-item-ind`). */
function valueOffset(node: Node, item: CstItem | undefined, indicator: string): number | undefined {
  const tokens = item === undefined ? undefined : indicator === 'map-value-ind' ? item.sep : item.start;
  const props = propsStart(tokens);
  if (props !== undefined) return props;
  // An empty value: go-yaml puts the empty scalar right after the `:` or `-` indicator.
  const empty = isScalar(node) && (node.srcToken === undefined || ((node.srcToken as CstToken).source ?? '') === '') && node.value === null;
  if (empty || item?.value === undefined) {
    const ind = (tokens ?? []).find((t) => t.type === indicator);
    if (ind !== undefined) return ind.offset + 1;
  }
  return node.range?.[0];
}

/** The text go-yaml v3 gives as a mapping key's Value. */
function keyText(key: unknown): string {
  if (isScalar(key)) {
    const token = key.srcToken as CstToken | undefined;
    if (key.type === Scalar.PLAIN && token?.source !== undefined) return token.source;
    const value: unknown = key.value;
    return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  }
  if (isAlias(key)) return key.source;
  return '';
}

interface Found {
  readonly offset: number;
}

function notFound(): never {
  throw new YamlUpdateError('key path not found');
}

function findScalar(node: unknown, keyPath: readonly string[], offset: number | undefined): Found {
  if (keyPath.length === 0) {
    if (isScalar(node) && offset !== undefined) return { offset };
    throw new YamlUpdateError('key path does not address a scalar node');
  }
  const [head = '', ...rest] = keyPath;
  if (isMap(node)) {
    const cst = node.srcToken as { items?: readonly CstItem[] } | undefined;
    for (const [i, pair] of node.items.entries()) {
      if (keyText(pair.key) !== head) continue;
      const item = (pair.srcToken as CstItem | undefined) ?? cst?.items?.[i];
      const value = pair.value;
      if (value === null || value === undefined) {
        // `key:` with nothing after it: an empty scalar just after the indicator.
        if (rest.length > 0) notFound();
        const ind = (item?.sep ?? []).find((t) => t.type === 'map-value-ind');
        if (ind === undefined) notFound();
        return { offset: propsStart(item?.sep) ?? ind.offset + 1 };
      }
      return findScalar(value, rest, valueOffset(value as Node, item, 'map-value-ind'));
    }
    notFound();
  }
  if (isSeq(node)) {
    if (!/^[+-]?\d+$/.test(head)) throw new YamlUpdateError(`strconv.Atoi: parsing ${goQuote(head)}: invalid syntax`);
    const index = Number(head);
    const items: unknown[] = node.items;
    if (!Number.isSafeInteger(index) || index < 0 || index >= items.length) {
      // go-yaml's Content[index] would panic here; Kargo's controller recovers and retries the step.
      throw new YamlUpdateError(`index out of range [${index}] with length ${items.length} (Kargo's step would panic)`);
    }
    const cst = node.srcToken as { items?: readonly CstItem[] } | undefined;
    const item = items[index];
    return findScalar(item, rest, valueOffset(item as Node, cst?.items?.[index], 'seq-item-ind'));
  }
  // Aliases, scalars and empty documents: go-yaml does not descend into them.
  notFound();
}

/** go-yaml v3's 0-based line and character column of `offset` (its line breaks: \r\n, \r, \n, NEL, LS, PS). */
function goYamlPosition(text: string, offset: number): { line: number; column: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === '\r') {
      if (text[i + 1] === '\n') i++;
      line++;
      lineStart = i + 1;
    } else if (c === '\n' || c === '\u0085' || c === '\u2028' || c === '\u2029') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: [...text.slice(lineStart, offset)].length };
}

/** bufio.ScanLines: split at \n, drop one trailing \r per line, no empty last token. */
function scanLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    let line = bytes.subarray(start, end);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    lines.push(line);
    start = end + 1;
  }
  return lines;
}

/**
 * SetValuesInBytes: every update's scalar is located first (any failure aborts with nothing changed), then
 * each affected line is rewritten as `line[:column]` + (a space unless that ends in one) + the value as
 * QuoteIfNecessary formats it; everything after the old value on that line (a comment, a closing brace) is
 * dropped, every line ends in `\n` (CRLF becomes LF), as Kargo's line scanner writes it.
 */
export function setValuesInBytes(input: Buffer | string, updates: readonly YamlUpdate[]): Buffer {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const text = bytes.toString('utf8');
  const doc = parseDocument(text, { keepSourceTokens: true, uniqueKeys: false, strict: false, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem !== undefined) throw new YamlUpdateError(`error unmarshaling input: yaml: ${problem.message.split('\n')[0] ?? ''}`);
  const changes = new Map<number, { column: number; value: unknown }>();
  for (const update of updates) {
    let keyPath: string[];
    try {
      keyPath = splitKey(update.key);
    } catch (error) {
      throw new YamlUpdateError(`error splitting key ${update.key}: ${(error as Error).message}`);
    }
    let found: Found;
    try {
      found = findScalar(doc.contents, keyPath, doc.contents?.range?.[0]);
    } catch (error) {
      throw new YamlUpdateError(`error finding key ${update.key}: ${(error as Error).message}`);
    }
    const { line, column } = goYamlPosition(text, found.offset);
    changes.set(line, { column, value: update.value });
  }
  const out: Buffer[] = [];
  for (const [index, line] of scanLines(bytes).entries()) {
    const change = changes.get(index);
    if (change === undefined) {
      out.push(line, Buffer.from('\n'));
      continue;
    }
    // Go slices the line's bytes at go-yaml's character column.
    if (change.column > line.length) throw new YamlUpdateError(`slice bounds out of range [:${change.column}] with length ${line.length} (Kargo's step would panic)`);
    const unchanged = line.subarray(0, change.column);
    out.push(unchanged);
    if (unchanged.length === 0 || unchanged[unchanged.length - 1] !== 0x20) out.push(Buffer.from(' '));
    out.push(Buffer.from(quoteIfNecessary(change.value), 'utf8'), Buffer.from('\n'));
  }
  return Buffer.concat(out);
}

/** The commit message yaml-update offers as output `commitMessage` (yaml_updater.go generateCommitMessage). */
export function yamlUpdateCommitMessage(path: string, updates: readonly YamlUpdate[]): string {
  if (updates.length === 0) return '';
  return `Updated ${path}\n${updates.map((u) => `\n- ${u.key}: ${quoteIfNecessary(u.value)}`).join('')}`;
}
