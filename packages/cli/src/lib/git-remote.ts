// Guesses init's defaults from the working directory: the folder name and the `origin` remote of .git/config.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** `My_App.v2` → `my-app-v2`: the folder name as a DNS-1123 label, or undefined when nothing is left. */
export function appNameFromFolder(folder: string): string | undefined {
  const name = basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name === '' ? undefined : name;
}

export interface GitHubRemote {
  readonly owner: string;
  readonly repo: string;
  /** Always the https form, the only one Kargo's git steps accept without deprecation. */
  readonly url: string;
}

/** Parses `https://github.com/o/r(.git)` and `git@github.com:o/r(.git)` remotes. */
export function parseGitHubRemote(url: string): GitHubRemote | undefined {
  const match = /^(?:https:\/\/github\.com\/|git@github\.com:|ssh:\/\/git@github\.com\/)([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  if (match === null) return undefined;
  const [, owner = '', repo = ''] = match;
  return { owner, repo, url: `https://github.com/${owner}/${repo}` };
}

/** The GitHub `origin` remote of the repository at `dir`, when there is one (no git binary needed). */
export async function readOriginRemote(dir: string): Promise<GitHubRemote | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, '.git', 'config'), 'utf8');
  } catch {
    return undefined;
  }
  const section = /\[remote "origin"\]([^[]*)/.exec(text)?.[1];
  const url = section === undefined ? undefined : /^\s*url\s*=\s*(.+)$/m.exec(section)?.[1];
  return url === undefined ? undefined : parseGitHubRemote(url);
}
