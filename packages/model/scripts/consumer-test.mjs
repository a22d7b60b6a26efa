// Proves @kargo/model is consumable from another repository: pack it, install the tarball into a fresh
// project with npm, type-check an import under NodeNext and Bundler resolution, then run it on this Node.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const work = mkdtempSync(join(tmpdir(), 'kargo-model-consumer-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  run('pnpm', ['pack', '--pack-destination', work], pkgDir);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('pnpm pack produced no tarball');

  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', join(work, tarball), '@types/node@24'], app);

  writeFileSync(
    join(app, 'main.ts'),
    `import { parsePipelineConfig, STAGE_COLORS, WarehouseSchema, normalizeImageRepoUrl, formatIssue, type PipelineConfig } from '@kargo/model';
import { validateManifest, type ManifestReport } from '@kargo/model/manifests';
const result = parsePipelineConfig('apiVersion: kargo-env.dev/v1alpha1\\nkind: PipelineConfig\\npipelines:\\n  - app: flask-app\\n    image: { repository: ghcr.io/alkon/flask-app }\\n    git: { repoURL: https://github.com/alkon/kargo-gitops-toolkit.git }\\n', { filename: 'kargo-env.yaml' });
if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\\n'));
const config: PipelineConfig = result.value;
const envs = config.pipelines[0]?.environments.map((e) => e.name).join(',');
const wh = WarehouseSchema.safeParse({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Warehouse', metadata: { name: 'w', namespace: 'p' }, spec: { subscriptions: [{ image: { repoURL: 'ghcr.io/a/b' } }] } });
// The bundled upstream schemas travel in the package: a misspelt Stage field is found from the tarball.
const report: ManifestReport = validateManifest({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Stage', metadata: { name: 's', namespace: 'p' }, spec: { requestedFreigth: [] } });
const manifest = report.issues.map((i) => i.code).join(',');
console.log(JSON.stringify({ envs, colors: STAGE_COLORS.length, warehouse: wh.success, image: normalizeImageRepoUrl('GHCR.io/Alkon/Flask-App:1.2.3'), manifest }));
`,
  );
  for (const resolution of ['NodeNext', 'Bundler']) {
    const module = resolution === 'NodeNext' ? 'NodeNext' : 'ESNext';
    // Full lib check on purpose: our published .d.ts files must type-check in the consumer's settings.
    run(process.execPath, [tsc, '--noEmit', '--strict', '--module', module, '--moduleResolution', resolution, '--target', 'es2022', '--types', 'node', 'main.ts'], app);
    console.log(`type-check under moduleResolution ${resolution}: ok`);
  }
  const out = run(process.execPath, ['main.ts'], app).trim();
  const parsed = JSON.parse(out);
  if (parsed.envs !== 'dev,staging,prod' || parsed.colors !== 21 || parsed.warehouse !== true || parsed.image !== 'ghcr.io/alkon/flask-app' || parsed.manifest !== 'required,unknown-field') {
    throw new Error(`unexpected output from the consumer: ${out}`);
  }
  console.log(`ran on Node ${process.version}: ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
