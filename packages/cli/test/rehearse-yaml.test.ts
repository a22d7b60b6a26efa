// yaml-update as Kargo v1.11.2 does it: pkg/yaml/yaml.go SetValuesInBytes (locate the scalar, rewrite its line
// from its column), pkg/yaml/quote.go QuoteIfNecessary, pkg/sjson/split_key.go SplitKey.
import { describe, expect, it } from 'vitest';
import { goFormatValue, goQuote, quoteIfNecessary, setValuesInBytes, splitKey, yamlUpdateCommitMessage } from '../src/rehearse/index.ts';

const set = (text: string, key: string, value: unknown): string => setValuesInBytes(text, [{ key, value }]).toString('utf8');
const error = (text: string, key: string): string => {
  try {
    setValuesInBytes(text, [{ key, value: 'x' }]);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('pkg/sjson SplitKey', () => {
  it('splits at unescaped dots; \\. and \\: are literal; a leading colon marks a map key and is dropped', () => {
    expect(splitKey('image.tag')).toEqual(['image', 'tag']);
    expect(splitKey('  podAnnotations.example\\.com/rev ')).toEqual(['podAnnotations', 'example.com/rev']);
    expect(splitKey('ports.:0.name')).toEqual(['ports', '0', 'name']);
    expect(splitKey('a\\:b')).toEqual(['a:b']);
  });

  it('rejects empty keys and parts, a colon inside a part and unknown escapes', () => {
    expect(() => splitKey(' ')).toThrow('empty key');
    expect(() => splitKey('image..tag')).toThrow('empty key part in key "image..tag"');
    expect(() => splitKey('image.')).toThrow('empty key part');
    expect(() => splitKey('im:age')).toThrow('unexpected colon in key "im:age"');
    expect(() => splitKey('a\\b')).toThrow('invalid escape sequence in key "a\\\\b"');
  });
});

describe('pkg/yaml QuoteIfNecessary (with Go %q / %v)', () => {
  it('quotes strings YAML would read as a number, a bool or other JSON', () => {
    expect(quoteIfNecessary('1.10')).toBe('"1.10"');
    expect(quoteIfNecessary('20240101')).toBe('"20240101"');
    expect(quoteIfNecessary('true')).toBe('"true"');
    expect(quoteIfNecessary('T')).toBe('"T"');
    expect(quoteIfNecessary('null')).toBe('"null"');
    expect(quoteIfNecessary('[1]')).toBe('"[1]"');
    expect(quoteIfNecessary('"quoted"')).toBe('"\\"quoted\\""');
    expect(quoteIfNecessary('Inf')).toBe('"Inf"');
    expect(quoteIfNecessary('0x1p-2')).toBe('"0x1p-2"');
  });

  it('leaves other strings alone, even ones YAML 1.1 would read as bools', () => {
    expect(quoteIfNecessary('1.2.3')).toBe('1.2.3');
    expect(quoteIfNecessary('v1.10')).toBe('v1.10');
    expect(quoteIfNecessary('yes')).toBe('yes');
    expect(quoteIfNecessary('1_000')).toBe('1_000');
    expect(quoteIfNecessary('0x10')).toBe('0x10');
  });

  it('formats non-strings as Go %v of the JSON-decoded value (float64, map[...])', () => {
    expect(quoteIfNecessary(1.1)).toBe('1.1');
    expect(quoteIfNecessary(3)).toBe('3');
    expect(quoteIfNecessary(20240101)).toBe('2.0240101e+07');
    expect(quoteIfNecessary(1e6)).toBe('1e+06');
    expect(quoteIfNecessary(100000)).toBe('100000');
    expect(quoteIfNecessary(0.00001)).toBe('1e-05');
    expect(quoteIfNecessary(true)).toBe('true');
    expect(quoteIfNecessary(null)).toBe('<nil>');
    expect(goFormatValue({ b: 1, a: [1, 'x'] })).toBe('map[a:[1 x] b:1]');
    expect(goQuote('tab\there é \u0007')).toBe('"tab\\there é \\a"');
  });
});

describe('pkg/yaml SetValuesInBytes', () => {
  const values = ['# Helm values', 'replicaCount: 1', 'image:', '  repository: ghcr.io/example/shop', '  tag: "1.0.0" # placeholder', 'service:', '  type: ClusterIP', ''].join('\n');

  it('rewrites the line of the addressed scalar from its column and keeps every other line', () => {
    expect(set(values, 'image.tag', '1.0.1')).toBe(values.replace('  tag: "1.0.0" # placeholder', '  tag: 1.0.1'));
  });

  it('writes a string tag that looks like a number quoted, and a number as Go prints it (the 1.10 trap)', () => {
    expect(set(values, 'image.tag', '1.10')).toContain('\n  tag: "1.10"\n');
    expect(set(values, 'image.tag', 1.1)).toContain('\n  tag: 1.1\n');
  });

  it('addresses sequence items by index and keys with escaped dots', () => {
    const text = 'env:\n  - name: A\n    value: "1"\n  - name: B\n    value: two\nannotations:\n  example.com/rev: r1\n';
    expect(set(text, 'env.1.value', 'three')).toBe(text.replace('value: two', 'value: three'));
    expect(set(text, 'annotations.example\\.com/rev', 'r2')).toContain('  example.com/rev: r2\n');
  });

  it('starts the rewrite at an anchor or tag, after a bare key, and inside a flow map (dropping its closing brace)', () => {
    expect(set('a: &x !!str 1.0 # c\n', 'a', '2')).toBe('a: "2"\n');
    expect(set('a:\nb: 1\n', 'a', 'v')).toBe('a: v\nb: 1\n');
    expect(set('image: {tag: 1.0.0}\n', 'image.tag', '1.0.1')).toBe('image: {tag: 1.0.1\n');
  });

  it('normalises line ends as Go line scanning does: CRLF becomes LF, a last line gains one', () => {
    expect(set('a: 1\r\nb: 2', 'b', 'v3')).toBe('a: 1\nb: v3\n');
  });

  it('fails with Kargo’s messages and changes nothing when a key is missing or no scalar', () => {
    expect(error(values, 'image.digest')).toBe('error finding key image.digest: key path not found');
    expect(error(values, 'image')).toBe('error finding key image: key path does not address a scalar node');
    expect(error('list: [a]\n', 'list.x')).toBe('error finding key list.x: strconv.Atoi: parsing "x": invalid syntax');
    expect(error(values, 'image..tag')).toBe('error splitting key image..tag: empty key part in key "image..tag"');
    expect(() => setValuesInBytes(values, [{ key: 'image.tag', value: '1' }, { key: 'nope', value: '2' }])).toThrow('error finding key nope: key path not found');
  });

  it('offers the commit message yaml_updater.go generates', () => {
    expect(yamlUpdateCommitMessage('./out/values.yaml', [{ key: 'image.tag', value: '1.10' }])).toBe('Updated ./out/values.yaml\n\n- image.tag: "1.10"');
  });
});
