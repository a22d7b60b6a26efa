// Benchmark: render 1,000 and 2,000 generated pipelines × 3 environments to a temp dir, against the floor of
// parsing and re-stringifying the same output with `yaml`. Prints ratios; asserts nothing (STYLE §16).
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipelineConfig, type PipelineConfig } from '@kargo/model';
import { parseAllDocuments, stringify } from 'yaml';
import { renderPipelines, writeTreeAtomic } from '../src/index.ts';

function generate(count: number): PipelineConfig {
  const lines = ['apiVersion: kargo-env.dev/v1alpha1', 'kind: PipelineConfig', 'relay: { enabled: true }', 'pipelines:'];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  - app: app-${i}`,
      `    image: { repository: ghcr.io/acme/app-${i} }`,
      '    git: { repoURL: https://github.com/acme/platform.git }',
      '    environments:',
      '      - { name: dev, verification: [{ preset: smoke }], notifications: [{ type: slack, secretRef: { name: slack } }] }',
      '      - { name: staging, promotion: { soak: 30m }, verification: [{ preset: integration }], windows: [{ days: [mon, tue, wed, thu, fri], hours: "09:00-17:00" }] }',
      '      - { name: prod, verification: [{ preset: security-scan }, { preset: performance }] }',
    );
  }
  const result = parsePipelineConfig(lines.join('\n'), { filename: 'bench.yaml' });
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.value;
}

// A RAM-backed temp dir when there is one (and TMPDIR is not set): disk latency on shared CI machines
// otherwise dominates and hides the render's own scaling.
const TEMP = process.env.TMPDIR === undefined && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

async function measure(count: number): Promise<{ render: number; inMemory: number; floor: number; files: number; bytes: number }> {
  const config = generate(count);
  const dir = await mkdtemp(join(TEMP, 'render-bench-'));
  try {
    const t0 = performance.now();
    const { files } = renderPipelines(config);
    const inMemory = performance.now() - t0;
    await writeTreeAtomic(join(dir, 'kargo'), files);
    const render = performance.now() - t0;

    let bytes = 0;
    const t1 = performance.now();
    for (const text of files.values()) {
      bytes += text.length;
      const docs = parseAllDocuments(text);
      if (!Array.isArray(docs)) throw new Error('unexpected empty stream');
      for (const doc of docs) stringify(doc.toJS());
    }
    const floor = performance.now() - t1;
    return { render, inMemory, floor, files: files.size, bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await measure(100); // warm-up (JIT, module loading)
const results = new Map<number, Awaited<ReturnType<typeof measure>>>();
for (const count of [1000, 2000]) {
  const r = await measure(count);
  results.set(count, r);
  console.log(
    `${count} pipelines × 3 envs: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB · render+write ${r.render.toFixed(0)} ms (render ${r.inMemory.toFixed(0)} ms) · yaml parse+stringify floor ${r.floor.toFixed(0)} ms · ratio ${(r.render / r.floor).toFixed(2)}× (goal ≤ 2.5×)`,
  );
}
const t1 = results.get(1000)?.render ?? Number.NaN;
const t2 = results.get(2000)?.render ?? Number.NaN;
const m1 = results.get(1000)?.inMemory ?? Number.NaN;
const m2 = results.get(2000)?.inMemory ?? Number.NaN;
console.log(`t(2000)/t(1000) = ${(t2 / t1).toFixed(2)} render+write, ${(m2 / m1).toFixed(2)} render only (goal ≤ 2.2, 2.0 = linear) · temp dir ${TEMP}`);
