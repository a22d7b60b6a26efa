// `validate --manifests`: finds the YAML/JSON files under the given paths, parses every document with its
// positions, and judges each with @kargo/model/manifests, so each problem points at a file, line and column.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Issue } from '@kargo/model';
import type { ManifestReport } from '@kargo/model/manifests';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { CliError, CliErrorCode } from '../errors.ts';
import { userPath } from './files.ts';
import { findInDocument, parseIssuePath } from './locate.ts';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
/** Folders never searched: VCS data, dependencies, build output. */
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules', '.turbo', 'dist']);

export interface ManifestFiles {
  /** Files to check, as shown to the user (relative to the working directory when inside it). */
  readonly files: readonly { readonly absolute: string; readonly display: string }[];
  /** Helm chart folders passed over: their templates are not manifests until rendered. */
  readonly skippedCharts: readonly string[];
}

/** Every manifest file under `paths` (files as given, folders searched recursively, in a stable order). */
export async function findManifestFiles(cwd: string, paths: readonly string[]): Promise<ManifestFiles> {
  const files: { absolute: string; display: string }[] = [];
  const skippedCharts: string[] = [];
  const display = (absolute: string): string => userPath(cwd, relative(cwd, absolute) || '.').display;
  const visit = async (absolute: string, explicit: boolean): Promise<void> => {
    let info;
    try {
      info = await stat(absolute);
    } catch (error) {
      if (!explicit) return;
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new CliError(CliErrorCode.InvalidArgument, missing ? `${display(absolute)}: no such file or folder` : `${display(absolute)}: cannot be read`, {
        cause: error,
        hint: missing ? 'pass the folder render writes (kargo/ by default) or the files to check' : undefined,
      });
    }
    if (info.isFile()) {
      if (explicit || MANIFEST_EXTENSIONS.some((ext) => absolute.endsWith(ext))) files.push({ absolute, display: display(absolute) });
      return;
    }
    if (!info.isDirectory()) return;
    const entries = (await readdir(absolute, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    if (!explicit && entries.some((e) => e.isFile() && e.name === 'Chart.yaml')) {
      skippedCharts.push(display(absolute));
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && (SKIPPED_FOLDERS.has(entry.name) || entry.name.startsWith('.'))) continue;
      await visit(join(absolute, entry.name), false);
    }
  };
  for (const path of paths) await visit(userPath(cwd, path).absolute, true);
  // A file named twice (a folder and a file in it) is checked once.
  const seen = new Set<string>();
  return { files: files.filter((f) => !seen.has(f.absolute) && seen.add(f.absolute)), skippedCharts };
}

export interface DocumentReport extends ManifestReport {
  readonly file: string;
  /** Where the document starts (1-based). */
  readonly line: number;
  readonly column: number;
  /** The report's issues with `file`, `line` and `column` set. */
  readonly issues: readonly Issue[];
}

/** Parses one file's documents and validates each; a YAML syntax error is an issue, not a crash. */
export async function checkManifestFile(file: { absolute: string; display: string }, validate: (doc: unknown) => ManifestReport): Promise<DocumentReport[]> {
  let text: string;
  try {
    text = await readFile(file.absolute, 'utf8');
  } catch (error) {
    throw new CliError(CliErrorCode.InvalidArgument, `${file.display}: cannot be read`, { cause: error });
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const reports: DocumentReport[] = [];
  for (const doc of list) {
    // Where the object starts: its first line of content, not the `---` before it.
    const start = lines.linePos(doc.contents?.range?.[0] ?? doc.range[0]);
    if (doc.errors.length > 0) {
      const issues = doc.errors.map((e): Issue => {
        const at = lines.linePos(e.pos[0]);
        return { path: '', message: `YAML: ${e.message.split('\n')[0] ?? e.message}`, severity: 'error', code: 'yaml-syntax', file: file.display, line: at.line, column: at.col };
      });
      reports.push({ file: file.display, line: start.line, column: start.col, apiVersion: undefined, kind: undefined, name: undefined, status: 'checked', issues });
      continue;
    }
    // `---` followed by nothing, or only comments: no object to check.
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const report = validate(value);
    const issues = report.issues.map((issue): Issue => {
      const at = findInDocument(doc, lines, parseIssuePath(issue.path));
      return { ...issue, file: file.display, ...(at === undefined ? { line: start.line, column: start.col } : { line: at.line, column: at.column }) };
    });
    reports.push({ ...report, file: file.display, line: start.line, column: start.col, issues });
  }
  return reports;
}
