// Paths inside a promotion's work dir and the `copy` step's file copy.
import { chmod, copyFile, lstat, mkdir, readdir } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';

/**
 * A step path inside the work dir, as Kargo's steps join them (github.com/cyphar/filepath-securejoin SecureJoin):
 * `..` can never climb above the work dir. Lexical only: symlinks inside the work dir are not resolved.
 */
export function secureJoin(root: string, unsafe: string): string {
  const clean = posix.normalize(`/${unsafe.split(sep).join('/')}`);
  return join(root, ...clean.split('/').filter((part) => part !== ''));
}

/** A path as the user wrote it, for messages (Kargo sanitises work-dir paths out of errors). */
export function shown(root: string, absolute: string): string {
  const rel = relative(root, absolute).split(sep).join('/');
  return rel === '' ? '.' : rel;
}

interface IgnorePattern {
  readonly negate: boolean;
  readonly dirOnly: boolean;
  readonly anchored: boolean;
  readonly regex: RegExp;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        out += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += (glob[i + 1] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

/**
 * The copy step's ignore rules (file_copier.go loadIgnoreRules): `.git` always, then gitignore lines from
 * `ignore` (`#` comments and blank lines skipped). Matching follows gitignore (negation, trailing `/`,
 * anchoring by a slash, `*`, `?`, `**`, classes), an approximation of go-git's matcher; the last match wins.
 */
export function ignoreMatcher(rules: string | undefined): (relParts: readonly string[], isDir: boolean) => boolean {
  const patterns: IgnorePattern[] = [];
  for (const raw of ['.git', ...(rules ?? '').split('\n')]) {
    let line = raw.replace(/\r$/, '');
    if (line.startsWith('#') || line.trim() === '') continue;
    line = line.replace(/(?<!\\)\s+$/, '');
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    if (line === '') continue;
    patterns.push({ negate, dirOnly, anchored, regex: new RegExp(`^${globToRegex(line)}$`) });
  }
  return (relParts, isDir) => {
    if (relParts.length === 0) return false;
    for (let n = patterns.length - 1; n >= 0; n--) {
      const p = patterns[n];
      if (p === undefined || (p.dirOnly && !isDir)) continue;
      const subject = p.anchored ? relParts.join('/') : (relParts.at(-1) ?? '');
      if (p.regex.test(subject)) return !p.negate;
    }
    return false;
  };
}

/**
 * The `copy` step's copy (github.com/otiai10/copy as file_copier.go configures it): a file or a folder tree,
 * merged into what is at `dest`, file modes kept, symlinks skipped, ignored paths (always `.git`) left out.
 */
export async function copyTree(src: string, dest: string, ignored: (relParts: readonly string[], isDir: boolean) => boolean): Promise<number> {
  const info = await lstat(src);
  const domain = info.isDirectory() ? src : dirname(src);
  let copied = 0;
  const visit = async (from: string, to: string): Promise<void> => {
    const st = await lstat(from);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      await mkdir(to, { recursive: true, mode: st.mode & 0o777 });
      for (const entry of (await readdir(from, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const child = join(from, entry.name);
        const rel = relative(domain, child).split(sep);
        if (ignored(rel, entry.isDirectory())) continue;
        await visit(child, join(to, entry.name));
      }
      return;
    }
    if (!st.isFile()) return;
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
    await chmod(to, st.mode & 0o7777);
    copied++;
  };
  await visit(src, dest);
  return copied;
}
