// Writing the tree: diff against disk, all-or-nothing replacement, and injected failures.
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffTree, KargoRenderError, listTree, writeTreeAtomic, type TreeFs } from '../src/index.ts';

let parent: string;
let dir: string;

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'render-fs-'));
  dir = join(parent, 'kargo');
  await mkdir(join(dir, 'stages'), { recursive: true });
  await writeFile(join(dir, 'project.yaml'), 'old project\n');
  await writeFile(join(dir, 'stages', 'dev.yaml'), 'old dev\n');
  await writeFile(join(dir, 'stages', 'gone.yaml'), 'stale\n');
});

afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

const next = new Map([
  ['project.yaml', 'old project\n'],
  ['stages/dev.yaml', 'new dev\n'],
  ['values/dev-values.yaml', 'image:\n  tag: 1.0.0\n'],
]);

async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of await listTree(root)) out[p] = await readFile(join(root, p), 'utf8');
  return out;
}

describe('diffTree', () => {
  it('classifies files as added, changed, removed and unchanged', async () => {
    expect(await diffTree(dir, next)).toEqual({ added: ['values/dev-values.yaml'], changed: ['stages/dev.yaml'], removed: ['stages/gone.yaml'], unchanged: ['project.yaml'] });
  });

  it('treats a missing folder as empty', async () => {
    expect(await diffTree(join(parent, 'none'), next)).toEqual({ added: ['project.yaml', 'stages/dev.yaml', 'values/dev-values.yaml'], changed: [], removed: [], unchanged: [] });
  });
});

describe('writeTreeAtomic', () => {
  it('replaces the folder with exactly the rendered files, reports removed ones, leaves no temp folders', async () => {
    const diff = await writeTreeAtomic(dir, next);
    expect(diff.removed).toEqual(['stages/gone.yaml']);
    expect(await snapshot(dir)).toEqual(Object.fromEntries(next));
    expect(await readdir(parent)).toEqual(['kargo']);
  });

  it('creates the folder when it does not exist yet', async () => {
    const fresh = join(parent, 'out', 'kargo');
    await writeTreeAtomic(fresh, next);
    expect(await snapshot(fresh)).toEqual(Object.fromEntries(next));
  });

  it('leaves the previous tree intact when a write fails midway', async () => {
    const before = await snapshot(dir);
    let writes = 0;
    const failing: TreeFs = {
      ...nodeFs,
      writeFile: async (p, d) => {
        if (++writes === 2) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        await nodeFs.writeFile(p, d);
      },
    };
    const error = await writeTreeAtomic(dir, next, { fs: failing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KargoRenderError);
    expect((error as KargoRenderError).code).toBe('KARGO_RENDER_WRITE_FAILED');
    expect(((error as Error).cause as Error).message).toBe('disk full');
    expect(await snapshot(dir)).toEqual(before);
    expect(await readdir(parent)).toEqual(['kargo']);
  });

  it('restores the previous tree when moving the new one into place fails', async () => {
    const before = await snapshot(dir);
    const failing: TreeFs = {
      ...nodeFs,
      rename: async (from, to) => {
        if (from.includes('.kargo.new-')) throw new Error('rename refused');
        await nodeFs.rename(from, to);
      },
    };
    await expect(writeTreeAtomic(dir, next, { fs: failing })).rejects.toThrow(/previous tree was restored/);
    expect(await snapshot(dir)).toEqual(before);
    expect(await readdir(parent)).toEqual(['kargo']);
  });

  it('rejects paths that escape the folder before touching anything', async () => {
    const before = await snapshot(dir);
    await expect(writeTreeAtomic(dir, new Map([['../evil.yaml', 'x']]))).rejects.toThrow(/not a relative posix path/);
    expect(await snapshot(dir)).toEqual(before);
  });
});
