// Layer 3 for doctor, status, promote and rollback: the built executable against the fake API server, with the
// kubeconfig in KUBECONFIG, as a user runs it. The server runs in this process; the CLI in a child process.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeKube } from './support/fake-kube.ts';
import { EXAMPLE_CONFIG, kargoCluster, NS, runPromotion } from './support/kargo-cluster.ts';
import { tempDir } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');

let server: FakeKube;
let dir: { dir: string; [Symbol.asyncDispose](): Promise<void> };

/** Async (the fake server lives in this process, so spawnSync would block it). */
function kargoEnv(args: string[], extraEnv: Record<string, string> = {}, onStdout?: (stdout: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--config', EXAMPLE_CONFIG], { cwd: dir.dir, env: { PATH: process.env['PATH'] ?? '', HOME: dir.dir, KUBECONFIG: join(dir.dir, 'kubeconfig'), ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'pnpm build' in packages/cli first`);
});
beforeEach(async () => {
  server = await new FakeKube().start();
  dir = await tempDir('kargo-env-cluster-bin-');
  await writeFile(join(dir.dir, 'kubeconfig'), server.kubeconfig());
});
afterEach(async () => {
  await server.close();
  await dir[Symbol.asyncDispose]();
});

describe('kargo-env doctor / status / promote / rollback (built bin)', () => {
  it('doctor: ✓ lines and exit 0 on a healthy pipeline; --json for CI; exit 1 when a check fails', async () => {
    kargoCluster(server);
    const human = await kargoEnv(['doctor']);
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^kargo-env doctor · context fake · http:\/\/127\.0\.0\.1:\d+ · Kubernetes v1\.33\.1\n/);
    expect(human.stdout).toContain('✓ Kargo CRDs\n    kargo.akuity.io/v1alpha1 serves projects, projectconfigs, warehouses, stages, freights, promotions');
    expect(human.stdout).toMatch(/\n✓ \d+ ok, 0 warnings, 0 failing\n$/);
    expect(human.stdout).not.toContain('\x1b[');
    server.remove('v1', 'Secret', NS, 'kargo-git-credentials');
    const json = await kargoEnv(['doctor', '--json', '--no-drift']);
    expect(json.code).toBe(1);
    const data = JSON.parse(json.stdout);
    expect(data.ok).toBe(false);
    expect(data.checks.find((c: { id: string }) => c.id === 'git-credentials.flask-app').status).toBe('fail');
  });

  it('exit 2 with a clear message, fast, when the cluster refuses connections or the context does not exist', async () => {
    kargoCluster(server);
    const url = server.url;
    await server.close();
    const down = await kargoEnv(['doctor']);
    expect(down.code).toBe(2);
    expect(down.ms).toBeLessThan(5000);
    expect(down.stderr).toContain(`error: cannot reach the cluster fake-cluster at ${url} (context fake): ECONNREFUSED`);
    expect(down.stderr).toContain('hint: check the cluster is up');
    const noContext = await kargoEnv(['status', '--context', 'prod']);
    expect(noContext.code).toBe(2);
    expect(noContext.stderr).toContain(`error: --context prod: no such context in KUBECONFIG=${join(dir.dir, 'kubeconfig')}`);
    server = await new FakeKube().start();
  });

  it('status: a plain table in a pipe; --watch appends a new table on each change and ends cleanly on Ctrl-C', async () => {
    kargoCluster(server, { soaking: true });
    const table = await kargoEnv(['status']);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[1]).toMatch(/^ENV +TAG +MODE +HEALTH +LAST PROMOTION +NEXT$/);
    expect(lines[2]).toMatch(/^dev +1\.8\.5 +auto +Healthy +1\.8\.5 Succeeded 18m ago +up to date$/);
    expect(lines[3]).toMatch(/^staging +1\.8\.4 +auto +Healthy +1\.8\.4 Succeeded 10m ago +1\.8\.5 soaking in dev: 12m left \(auto-promotes in 12m–17m, on the Stage's next requeue\) \(at \d\d:\d\d UTC\)$/);
    expect(lines[4]).toMatch(/^prod +1\.8\.3 +manual +Healthy +1\.8\.3 Succeeded 2h ago +1\.8\.4 is ready: kargo-env promote --env prod --tag 1\.8\.4$/);
    // The watch: once the first table is out, change prod's health; once the second is out, Ctrl-C (exit 0).
    let changed = false;
    const watched = await kargoEnv(['status', '--watch', '--watch-timeout', '25s'], {}, (stdout, child) => {
      const count = stdout.split(/^context fake · /m).length - 1;
      if (count === 1 && !changed) {
        changed = true;
        const prod = server.get('kargo.akuity.io', 'stages', NS, 'prod')!;
        server.put({ ...prod, status: { ...(prod['status'] as object), health: { status: 'Unhealthy', issues: ['Argo CD Application flask-app-prod-kargo is Degraded'] } } });
      }
      if (count === 2) child.kill('SIGINT');
    });
    expect(watched.code).toBe(0);
    expect(watched.ms).toBeLessThan(20_000);
    const tables = watched.stdout.split(/^context fake · /m).filter((t) => t !== '');
    expect(tables.length).toBe(2);
    expect(tables[1]).toMatch(/^prod +1\.8\.3 +manual +Unhealthy /m);
    expect(watched.stdout).not.toContain('\x1b[');
    expect(server.requests.filter((r) => r.path.includes('/stages') && r.path.includes('watch=1')).length).toBeGreaterThan(0);
  });

  it('promote: progress on stderr, steps and commit on stdout, exit 0 on Succeeded and 1 on Errored', async () => {
    kargoCluster(server);
    let outcome: { fail?: string } = {};
    const hook = server.createHooks.get('kargo.akuity.io/promotions')!;
    server.createHooks.set('kargo.akuity.io/promotions', (obj, s) => {
      const admitted = hook(obj, s);
      if ('spec' in admitted) setTimeout(() => void runPromotion(server, NS, admitted.metadata.name as string, outcome), 50);
      return admitted;
    });
    const ok = await kargoEnv(['promote', '--env', 'prod', '--tag', '1.8.4']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/^Promotion prod\.\S+ created: 1\.8\.4 \(Freight brave-fox\) → prod\n/);
    expect(ok.stderr).toContain('  step 1/11 clone (git-clone): Succeeded\n');
    expect(ok.stdout).toContain('Promote flask-app/prod (context fake): 1.8.3 (Freight tired-ox) → 1.8.4 (Freight brave-fox)\n');
    expect(ok.stdout).toMatch(/ {2}Promotion prod\.\S+: Succeeded — All steps completed\n/);
    expect(ok.stdout).toContain('  commit: 0123456789abcdef0123456789abcdef01234567 on env/prod\n');
    outcome = { fail: 'remote: Permission to alkon/kargo-gitops-toolkit.git denied' };
    const failed = await kargoEnv(['promote', '--env', 'prod', '--tag', '1.8.4']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('✗ clone (git-clone)');
    expect(failed.stderr).toMatch(/error: Promotion prod\.\S+ ended Errored: step "clone" met error threshold of 1: remote: Permission/);
    const refused = await kargoEnv(['promote', '--env', 'prod', '--tag', '1.8.3', '--dry-run']);
    expect(refused.code).toBe(0);
    expect(refused.stdout).toContain('dry run: nothing created');
    const usage = await kargoEnv(['promote', '--env', 'prod']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('error: give the image tag to promote with --tag');
  });

  it('rollback says which Freight it goes back to and how to resume auto-promotion before it acts', async () => {
    kargoCluster(server);
    const hook = server.createHooks.get('kargo.akuity.io/promotions')!;
    server.createHooks.set('kargo.akuity.io/promotions', (obj, s) => {
      const admitted = hook(obj, s);
      if ('spec' in admitted) setTimeout(() => void runPromotion(server, NS, admitted.metadata.name as string), 50);
      return admitted;
    });
    const result = await kargoEnv(['rollback', '--env', 'staging']);
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n')[0]).toBe(
      '⚠ auto-promotion hold: promoting 1.8.3 (Freight tired-ox) (not the newest available, 1.8.4 (Freight brave-fox)) pauses auto-promotion of Warehouse/flask-app into staging until the newest candidate is promoted again; resume with: kargo-env promote --env staging --tag 1.8.4',
    );
    expect(result.stdout).toContain('Roll back flask-app/staging (context fake): 1.8.4 (Freight brave-fox) → 1.8.3 (Freight tired-ox)');
    expect(result.stdout).toContain('  to resume auto-promotion later: kargo-env promote --env staging --tag 1.8.4');
    const [promotion] = server.list('kargo.akuity.io', 'promotions', NS);
    expect(promotion?.['spec']).toMatchObject({ stage: 'staging', freight: server.list('kargo.akuity.io', 'freights', NS).find((f) => (f['images'] as { tag: string }[])[0]?.tag === '1.8.3')?.metadata.name });
  });
});
