// infra's default relay image is the one the release workflow pushes: ghcr.io/alkon/kargo-webhook-relay at the relay
// package's version. Read here from the files themselves (apps/webhook-relay/package.json, release.yml), not from the
// module under test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InfraConfigSchema } from '../src/config.ts';
import { DEFAULT_RELAY_IMAGE } from '../src/relay-image.ts';
import { runProgram, type Loose } from './harness.ts';

const REPO = resolve(import.meta.dirname, '../..');
const RELAY_VERSION = (JSON.parse(readFileSync(join(REPO, 'apps/webhook-relay/package.json'), 'utf8')) as { version: string }).version;
const EXPECTED = `ghcr.io/alkon/kargo-webhook-relay:${RELAY_VERSION}`;

interface Step {
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, string>;
}

describe('the default relay image', () => {
  it('is ghcr.io/alkon/kargo-webhook-relay tagged with the relay package\'s version', () => {
    expect(RELAY_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(DEFAULT_RELAY_IMAGE).toBe(EXPECTED);
    expect(InfraConfigSchema.parse({}).relayImage).toBe(EXPECTED);
  });

  it('is what `pulumi up` deploys when relayImage is not set', async () => {
    const run = await runProgram({ enableKargo: 'true' });
    const workloads = run.resources.filter((r) => /^kubernetes:apps\/v1:(StatefulSet|Deployment)$/.test(r.type) && r.name.startsWith('kargo-webhook-relay'));
    expect(workloads).toHaveLength(1);
    const containers = (workloads[0]!.inputs as Loose).spec.template.spec.containers as { image: string }[];
    expect(containers.map((c) => c.image)).toEqual([EXPECTED]);
  });

  it('is the name and tag .github/workflows/release.yml pushes, for the repository owner of gitRepoURL', () => {
    const workflow = parse(readFileSync(join(REPO, '.github/workflows/release.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
    const steps = workflow.jobs['relay-image']?.steps ?? [];
    const naming = steps.find((s) => s.id === 'relay');
    expect(naming?.run).toBeDefined();
    // Run the workflow's own naming step for the owner of the default gitRepoURL (github.com/alkon/…).
    const owner = /^https:\/\/github\.com\/([^/]+)\//.exec(InfraConfigSchema.parse({}).gitRepoURL)?.[1];
    expect(owner).toBe('alkon');
    const dir = mkdtempSync(join(tmpdir(), 'relay-image-step-'));
    try {
      const output = join(dir, 'github-output');
      const script = join(dir, 'step.sh');
      writeFileSync(script, naming!.run!);
      // GitHub runs a `run:` step without `shell:` as `bash -e {0}`; no profile or rc file, as on a runner.
      const step = spawnSync('bash', ['--noprofile', '--norc', '-e', script], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '', GITHUB_REPOSITORY_OWNER: owner!.toUpperCase(), GITHUB_OUTPUT: output },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(step.stderr).toBe('');
      expect(step.status).toBe(0);
      const outputs = Object.fromEntries(
        readFileSync(output, 'utf8')
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      // GHCR names are lower case whatever the owner's spelling.
      expect(`${outputs.image}:${outputs.version}`).toBe(EXPECTED);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The version the naming step read is one of the pushed tags, and the image is built from the relay's Dockerfile.
    const meta = steps.find((s) => s.uses?.startsWith('docker/metadata-action@'));
    expect(meta?.with?.images).toBe('${{ steps.relay.outputs.image }}');
    expect(meta?.with?.tags).toContain('type=raw,value=${{ steps.relay.outputs.version }}');
    const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with).toMatchObject({ context: '.', file: 'apps/webhook-relay/Dockerfile', push: true });
  });
});
