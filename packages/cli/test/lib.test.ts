// Unit tests of the CLI's small libraries: diff excerpts, YAML locations, init defaults, colour rules.
import { describe, expect, it } from 'vitest';
import { diffExcerpt } from '../src/lib/diff.ts';
import { appNameFromFolder, parseGitHubRemote } from '../src/lib/git-remote.ts';
import { YamlLocator, parseIssuePath } from '../src/lib/locate.ts';
import { Output, colorEnabled } from '../src/output.ts';
import { captureIo } from './helpers.ts';

describe('diffExcerpt', () => {
  it('shows one hunk around the first change with context', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f'].join('\n') + '\n';
    const after = ['a', 'b', 'c', 'D', 'e', 'f'].join('\n') + '\n';
    expect(diffExcerpt('x.yaml', before, after)).toEqual({
      path: 'x.yaml',
      lines: ['@@ -2,5 +2,5 @@', ' b', ' c', '-d', '+D', ' e', ' f'],
      truncated: false,
    });
  });

  it('handles appended lines and truncates long hunks', () => {
    expect(diffExcerpt('x', 'a\n', 'a\nb\n').lines).toEqual(['@@ -1,1 +1,2 @@', ' a', '+b']);
    const long = diffExcerpt('x', '', Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n'), { maxLines: 3 });
    expect(long.truncated).toBe(true);
    expect(long.lines).toEqual(['@@ -0,0 +1,20 @@', '+l0', '+l1', '+l2', '…']);
  });
});

describe('parseIssuePath', () => {
  it.each([
    ['', []],
    ['spec', ['spec']],
    ['spec.steps[2].config.targetBranch', ['spec', 'steps', 2, 'config', 'targetBranch']],
    ['metadata.annotations["kargo.akuity.io/color"]', ['metadata', 'annotations', 'kargo.akuity.io/color']],
    ['[0].a', [0, 'a']],
  ])('%s', (path, segments) => {
    expect(parseIssuePath(path)).toEqual(segments);
  });
});

describe('YamlLocator', () => {
  const text = [
    '# generated',
    'apiVersion: v1',
    'kind: A',
    'metadata:',
    '  name: one',
    '---',
    'apiVersion: v1',
    'kind: A',
    'metadata:',
    '  name: two',
    'spec:',
    '  steps:',
    '    - uses: git-push',
    '      config:',
    '        branch: main',
    '',
  ].join('\n');
  const locator = new YamlLocator(text);

  it('finds a field of the right document by kind and name', () => {
    expect(locator.find('A', 'two', ['spec', 'steps', 0, 'config', 'branch'])).toEqual({ line: 15, column: 9 });
    expect(locator.find('A', 'one', ['metadata', 'name'])).toEqual({ line: 5, column: 3 });
  });

  it('falls back to the deepest existing ancestor for a missing field', () => {
    expect(locator.find('A', 'two', ['spec', 'steps', 0, 'config', 'targetBranch'])).toEqual({ line: 14, column: 7 });
    expect(locator.find('A', 'two', ['spec', 'steps', 5])).toEqual({ line: 12, column: 3 });
  });

  it('returns undefined for an unknown object and reads objects back', () => {
    expect(locator.find('B', 'two', ['spec'])).toBeUndefined();
    expect(locator.object('A', 'one')).toEqual({ apiVersion: 'v1', kind: 'A', metadata: { name: 'one' } });
  });
});

describe('init defaults', () => {
  it.each([
    ['/home/me/flask-app', 'flask-app'],
    ['/x/My_App.v2', 'my-app-v2'],
    ['/x/___', undefined],
  ])('folder %s → app %s', (folder, app) => {
    expect(appNameFromFolder(folder)).toBe(app);
  });

  it.each([
    ['https://github.com/alkon/flask-app.git', { owner: 'alkon', repo: 'flask-app', url: 'https://github.com/alkon/flask-app' }],
    ['git@github.com:Alkon/flask-app.git', { owner: 'Alkon', repo: 'flask-app', url: 'https://github.com/Alkon/flask-app' }],
    ['https://gitlab.com/a/b.git', undefined],
  ])('remote %s', (url, remote) => {
    expect(parseGitHubRemote(url)).toEqual(remote);
  });
});

describe('colour', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ TERM: 'dumb' }, true, false],
  ])('env %j, tty %s → %s', (env, tty, enabled) => {
    expect(colorEnabled(env, { write: () => undefined, isTTY: tty })).toBe(enabled);
  });

  it('paints only when enabled', () => {
    expect(new Output(captureIo('/', {}, true), { json: false }).paint('red', 'x')).toBe('\u001b[31mx\u001b[39m');
    expect(new Output(captureIo('/', { NO_COLOR: '1' }, true), { json: false }).paint('red', 'x')).toBe('x');
  });

  it('keeps stdout to one JSON document in JSON mode', () => {
    const io = captureIo();
    const output = new Output(io, { json: true });
    output.result('human');
    output.data({ ok: true });
    output.note('diagnostic');
    expect(JSON.parse(io.out())).toEqual({ ok: true });
    expect(io.err()).toBe('diagnostic\n');
  });
});
