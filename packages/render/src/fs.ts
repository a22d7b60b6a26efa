// Comparing and replacing the rendered tree on disk, all or nothing.
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { compareStrings } from './emit.ts';
import { KargoRenderError, RenderErrorCode } from './errors.ts';

export interface TreeDiff {
  /** Rendered but not on disk. */
  readonly added: readonly string[];
  /** On disk with different contents. */
  readonly changed: readonly string[];
  /** On disk but not rendered (render owns the folder, so writing removes them). */
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
}

/** The file-system calls writeTreeAtomic makes; tests inject failures through it. */
export interface TreeFs {
  readonly mkdir: (path: string, options: { recursive: true }) => Promise<unknown>;
  readonly writeFile: (path: string, data: string) => Promise<void>;
  readonly rename: (from: string, to: string) => Promise<void>;
  readonly rm: (path: string, options: { recursive: true; force: true }) => Promise<void>;
  readonly readdir: typeof nodeFs.readdir;
  readonly readFile: (path: string, encoding: 'utf8') => Promise<string>;
  readonly stat: typeof nodeFs.stat;
}

const defaultFs: TreeFs = {
  mkdir: (p, o) => nodeFs.mkdir(p, o),
  writeFile: (p, d) => nodeFs.writeFile(p, d),
  rename: (a, b) => nodeFs.rename(a, b),
  rm: (p, o) => nodeFs.rm(p, o),
  readdir: nodeFs.readdir,
  readFile: (p, e) => nodeFs.readFile(p, e),
  stat: nodeFs.stat,
};

/** Runs `task` over `items` with at most `limit` in flight; rejects with the first failure after all settle. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

// Enough parallel file operations to keep libuv's pool busy without exhausting file descriptors.
const IO_CONCURRENCY = 16;

function checkRelative(path: string): void {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new KargoRenderError(RenderErrorCode.InvalidPath, `"${path}" is not a relative posix path inside the output folder`);
  }
}

/** Every regular file under `dir`, as sorted posix paths relative to it; `[]` when `dir` does not exist. */
export async function listTree(dir: string, fs: Pick<TreeFs, 'readdir'> = defaultFs): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(rel === '' ? dir : join(dir, ...rel.split('/')), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw error;
    }
    for (const e of entries) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(path);
      else out.push(path);
    }
  };
  await walk('');
  return out.sort(compareStrings);
}

/** Compares the rendered `files` with what is in `dir` now. */
export async function diffTree(dir: string, files: ReadonlyMap<string, string>, options: { readonly fs?: TreeFs } = {}): Promise<TreeDiff> {
  const fs = options.fs ?? defaultFs;
  const onDisk = await listTree(dir, fs);
  const present = new Set(onDisk);
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  const sorted = [...files].sort(([a], [b]) => compareStrings(a, b));
  for (const [path] of sorted) checkRelative(path);
  const same = new Map<string, boolean>();
  await forEachLimited(sorted.filter(([p]) => present.has(p)), IO_CONCURRENCY, async ([path, text]) => {
    same.set(path, (await fs.readFile(join(dir, ...path.split('/')), 'utf8')) === text);
  });
  for (const [path] of sorted) {
    const s = same.get(path);
    if (s === undefined) added.push(path);
    else if (s) unchanged.push(path);
    else changed.push(path);
  }
  const removed = onDisk.filter((p) => !files.has(p));
  return { added, changed, removed, unchanged };
}

/**
 * Replaces `dir` with exactly `files`. The new tree is written completely into a sibling temp folder
 * first; only then is the old tree renamed aside and the new one renamed into place. Any failure before
 * the swap removes the temp folder and leaves `dir` untouched; a failure during the swap renames the old
 * tree back. Returns the diff against the previous tree (its `removed` lists files the render deleted).
 */
export async function writeTreeAtomic(dir: string, files: ReadonlyMap<string, string>, options: { readonly fs?: TreeFs } = {}): Promise<TreeDiff> {
  const fs = options.fs ?? defaultFs;
  for (const path of files.keys()) checkRelative(path);
  const diff = await diffTree(dir, files, { fs });
  const parent = dirname(dir);
  const name = basename(dir);
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const staging = join(parent, `.${name}.new-${stamp}`);
  const previous = join(parent, `.${name}.old-${stamp}`);
  await fs.mkdir(parent, { recursive: true });
  try {
    await fs.mkdir(staging, { recursive: true });
    const dirs = new Set<string>();
    for (const path of files.keys()) {
      const d = posix.dirname(path);
      if (d !== '.') dirs.add(d);
    }
    for (const d of [...dirs].sort(compareStrings)) await fs.mkdir(join(staging, ...d.split('/')), { recursive: true });
    await forEachLimited([...files], IO_CONCURRENCY, (entry) => fs.writeFile(join(staging, ...entry[0].split('/')), entry[1]));
  } catch (cause) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new KargoRenderError(RenderErrorCode.WriteFailed, `could not write the new tree for ${dir}; the previous tree is unchanged`, { cause });
  }
  let hadPrevious = true;
  try {
    await fs.rename(dir, previous);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw new KargoRenderError(RenderErrorCode.WriteFailed, `could not move the previous tree ${dir} aside; it is unchanged`, { cause: error });
    }
    hadPrevious = false;
  }
  try {
    await fs.rename(staging, dir);
  } catch (cause) {
    if (hadPrevious) await fs.rename(previous, dir).catch(() => undefined);
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new KargoRenderError(RenderErrorCode.WriteFailed, `could not move the new tree into ${dir}; the previous tree was restored`, { cause });
  }
  if (hadPrevious) await fs.rm(previous, { recursive: true, force: true }).catch(() => undefined);
  return diff;
}

