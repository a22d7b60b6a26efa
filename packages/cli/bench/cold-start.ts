// Cold-start timing of the built bin: `kargo-env render` of the repository example in 5 fresh processes,
// against bare `node -e 0` and `kargo-env --version` (the CLI without the model) measured in the same run.
// Node's compile cache was tried and measured slower here (≈350 ms vs ≈295 ms), so the bin does not enable it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const RUNS = 5;
const here = import.meta.dirname;
const bin = resolve(here, '../dist/bin.js');
const config = resolve(here, '../../../kargo-env.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'kargo-env-bench-'));

function time(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 30_000 });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function series(label: string, args: () => string[], env: NodeJS.ProcessEnv): number {
  const times = Array.from({ length: RUNS }, () => time(args(), env));
  const median = [...times].sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? NaN;
  console.log(`${label.padEnd(34)} ${times.map((t) => `${t.toFixed(0)}`.padStart(5)).join(' ')} ms   median ${median.toFixed(0)} ms`);
  return median;
}

try {
  let n = 0;
  const render = () => [bin, 'render', '--config', config, '--out', join(scratch, `out-${n++}`)];
  const env = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' };
  const base = series('node -e 0 (baseline)', () => ['-e', '0'], env);
  const version = series('kargo-env --version', () => [bin, '--version'], env);
  const cold = series('kargo-env render (new folder)', render, env);
  const check = series('kargo-env render --check', () => [bin, 'render', '--config', config, '--out', join(scratch, 'out-0'), '--check'], env);
  console.log(`render: ${cold.toFixed(0)} ms median (goal ≤ 600 ms wall), ${(cold / base).toFixed(1)}× bare node, ${(cold / version).toFixed(1)}× CLI startup; --check ${check.toFixed(0)} ms`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
