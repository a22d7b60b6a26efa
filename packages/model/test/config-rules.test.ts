import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig, type Issue } from '../src/index.ts';
import { HEADER, pipelineYaml, positionOf } from './config-helpers.ts';

function problems(text: string): { errors: readonly Issue[]; warnings: readonly Issue[] } {
  const result = parsePipelineConfig(text, { filename: 'kargo-env.yaml' });
  return { errors: result.ok ? [] : result.errors, warnings: result.warnings };
}

/** Asserts exactly one issue with this code, at this path, positioned at `needle` in the text. */
function expectOne(issues: readonly Issue[], text: string, code: string, path: string, needle: string, occurrence = 0): Issue {
  const found = issues.filter((i) => i.code === code);
  expect(found, JSON.stringify(issues, null, 2)).toHaveLength(1);
  const issue = found[0]!;
  expect(issue.path).toBe(path);
  expect({ line: issue.line, column: issue.column }).toEqual(positionOf(text, needle, occurrence));
  expect(issue.file).toBe('kargo-env.yaml');
  return issue;
}

const envs = (body: string): string => pipelineYaml(`    environments:\n${body}`);

describe('environment graph rules', () => {
  it('unknown upstream points at the bad entry', () => {
    const text = envs('      - name: dev\n      - name: prod\n        upstreams: [dev, stagin]\n');
    const issue = expectOne(problems(text).errors, text, 'unknown-upstream', 'pipelines[0].environments[1].upstreams[1]', 'stagin]');
    expect(issue.message).toContain('"stagin"');
  });

  it('a cycle is named in promotion order', () => {
    const text = envs('      - name: a\n        upstreams: [c]\n      - name: b\n        upstreams: [a]\n      - name: c\n        upstreams: [b]\n');
    const issue = expectOne(problems(text).errors, text, 'upstream-cycle', 'pipelines[0].environments[0].upstreams[0]', 'c]');
    expect(issue.message).toBe('upstreams form a cycle: a → b → c → a');
  });

  it('an environment that is its own upstream is a cycle', () => {
    const text = envs('      - name: dev\n        upstreams: [dev]\n');
    expect(expectOne(problems(text).errors, text, 'upstream-cycle', 'pipelines[0].environments[0].upstreams[0]', 'dev]').message).toBe('upstreams form a cycle: dev → dev');
  });

  it('duplicate environment names', () => {
    const text = envs('      - name: dev\n      - name: dev\n');
    expectOne(problems(text).errors, text, 'duplicate-environment', 'pipelines[0].environments[1].name', 'dev\n', 1);
  });

  it('soak on an environment that takes Freight directly', () => {
    const text = envs('      - name: dev\n        promotion: { soak: 10m }\n');
    expectOne(problems(text).errors, text, 'soak-without-upstream', 'pipelines[0].environments[0].promotion.soak', '10m');
  });

  it('a malformed soak is reported by the schema, a zero soak by the rules', () => {
    const bad = envs('      - name: dev\n      - name: qa\n        promotion: { soak: 30 minutes }\n');
    expectOne(problems(bad).errors, bad, 'invalid_format', 'pipelines[0].environments[1].promotion.soak', '30 minutes');
    const zero = envs('      - name: dev\n      - name: qa\n        promotion: { soak: 0s }\n');
    expectOne(problems(zero).errors, zero, 'invalid-duration', 'pipelines[0].environments[1].promotion.soak', '0s');
  });

  it('warns about soak with availability All (Kargo #4586) and availability without fan-in', () => {
    const text = envs(
      '      - name: a\n      - name: b\n        upstreams: []\n      - name: c\n        upstreams: [a, b]\n        availability: All\n        promotion: { soak: 5m }\n      - name: d\n        availability: All\n',
    );
    const { errors, warnings } = problems(text);
    expect(errors).toEqual([]);
    expectOne(warnings, text, 'soak-with-all-availability', 'pipelines[0].environments[2].promotion.soak', '5m');
    expectOne(warnings, text, 'availability-without-fan-in', 'pipelines[0].environments[3].availability', 'All', 1);
  });
});

describe('fan-out and fan-in', () => {
  const path = new URL('./fixtures/config/fan-out-fan-in.yaml', import.meta.url);
  const result = parsePipelineConfig(readFileSync(path, 'utf8'), { filename: 'fan-out-fan-in.yaml' });

  it('parses without errors and resolves the graph', () => {
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    const graph = Object.fromEntries(result.value.pipelines[0]!.environments.map((e) => [e.name, e.upstreams]));
    expect(graph).toEqual({ dev: [], staging: ['dev'], 'prod-eu': ['staging'], 'prod-us': ['staging'], 'global-check': ['prod-eu', 'prod-us'] });
    const [, staging, eu, us, global] = result.value.pipelines[0]!.environments;
    expect(staging!.promotion).toEqual({ auto: true, soak: '1h', mode: 'git' });
    expect(eu!.promotion).toEqual({ auto: false, mode: 'pull-request' });
    expect(eu!.color).toBe('red');
    expect(eu!.windows.map((w) => [w.name, w.kind])).toEqual([['allow-0', 'allow'], ['christmas', 'deny']]);
    expect(us!.notifications).toEqual([{ type: 'slack', secretRef: { name: 'shop-slack', key: 'url' } }]);
    expect(global!.availability).toBe('All');
    expect(global!.verification).toEqual([{ template: 'global-smoke', kind: 'ClusterAnalysisTemplate', args: { region: 'all' } }]);
  });

  it('raises no warning: the production regions are manual', () => {
    expect(result.warnings).toEqual([]);
  });
});

describe('image rules', () => {
  const image = (body: string): string =>
    `${HEADER}pipelines:\n  - app: web\n    image:\n      repository: ghcr.io/acme/web\n${body}    git:\n      repoURL: https://github.com/acme/web.git\n`;

  it('rejects a constraint Masterminds cannot parse', () => {
    const text = image('      constraint: ">= banana"\n');
    const issue = expectOne(problems(text).errors, text, 'invalid-constraint', 'pipelines[0].image.constraint', '">= banana"');
    expect(issue.message).toContain('>= banana');
  });

  it('rejects regexes RE2 cannot run, one issue per pattern', () => {
    const text = image("      allowTags: ['^v?1\\.', '^(?!dev).*$']\n      ignoreTags: ['(a)\\1', '[']\n");
    const { errors } = problems(text);
    const regexErrors = errors.filter((e) => e.code === 'invalid-regex');
    expect(regexErrors.map((e) => e.path)).toEqual(['pipelines[0].image.allowTags[1]', 'pipelines[0].image.ignoreTags[0]', 'pipelines[0].image.ignoreTags[1]']);
    expect(regexErrors[0]!).toMatchObject(positionOf(text, "'^(?!dev)"));
  });

  it('Digest needs the mutable tag; Lexical has no constraint', () => {
    const digest = image('      strategy: Digest\n');
    expectOne(problems(digest).errors, digest, 'missing-constraint', 'pipelines[0].image', 'image:');
    const lexical = image('      strategy: Lexical\n      constraint: ^1.0.0\n');
    expectOne(problems(lexical).errors, lexical, 'unused-field', 'pipelines[0].image.constraint', '^1.0.0');
  });

  it('warns when the initial tag is outside the constraint', () => {
    const text = image('      constraint: ^2.0.0\n');
    expectOne(problems(text).warnings, text, 'initial-tag-outside-constraint', 'pipelines[0].image.initialTag', 'image:');
  });
});

describe('names', () => {
  it('rejects generated names longer than a DNS label', () => {
    const app = 'a'.repeat(58);
    const text = `${HEADER}pipelines:\n  - app: ${app}\n    image: { repository: ghcr.io/acme/web }\n    git: { repoURL: https://github.com/acme/web.git }\n    environments:\n      - name: staging\n`;
    const { errors } = problems(text);
    expect(errors.filter((e) => e.code === 'invalid-name').map((e) => e.path)).toEqual([
      'pipelines[0].environments[0].namespace',
      'pipelines[0].environments[0].name',
    ]);
    // The namespace is defaulted, so the nearest existing node is the environment item.
    expect(errors[0]).toMatchObject(positionOf(text, 'name: staging'));
  });

  it('rejects a name that is not a DNS label where it is written', () => {
    const text = envs('      - name: Dev_1\n');
    expectOne(problems(text).errors, text, 'invalid_format', 'pipelines[0].environments[0].name', 'Dev_1');
  });

  it('duplicate pipelines, projects and Application names across pipelines', () => {
    const text = `${HEADER}pipelines:
  - app: web
    image: { repository: ghcr.io/acme/web }
    git: { repoURL: https://github.com/acme/web.git }
  - app: web
    image: { repository: ghcr.io/acme/web2 }
    git: { repoURL: https://github.com/acme/web.git, valuesDir: other }
`;
    const { errors } = problems(text);
    expect(errors.map((e) => `${e.code} ${e.path}`)).toEqual([
      'duplicate-pipeline pipelines[1].name',
      'duplicate-name pipelines[1].project',
      'duplicate-name pipelines[1].argocd.project',
      'duplicate-name pipelines[1].environments[0].name',
      'duplicate-name pipelines[1].environments[1].name',
      'duplicate-name pipelines[1].environments[2].name',
    ]);
    expect(errors[0]).toMatchObject(positionOf(text, 'app: web', 1));
  });

  it('reserves the AppProject "default" and a project namespace', () => {
    const text = pipelineYaml('    argocd: { project: default }\n    environments:\n      - name: dev\n        namespace: flask-app\n');
    const { errors } = problems(text);
    expectOne(errors, text, 'reserved-name', 'pipelines[0].argocd.project', 'default');
    expectOne(errors, text, 'namespace-conflict', 'pipelines[0].environments[0].namespace', 'flask-app\n', 2);
  });
});

describe('environment branches', () => {
  const git = (extra: string): string => `${HEADER}pipelines:\n  - app: flask-app\n    image: { repository: ghcr.io/acme/web }\n    git: { repoURL: https://github.com/acme/web.git${extra} }\n`;

  it('resolves env/{env} by default and {pipeline}/{env} from git.envBranch', () => {
    const ok = parsePipelineConfig(git(''), { filename: 'kargo-env.yaml' });
    expect(ok.ok && ok.value.pipelines[0]?.environments.map((e) => e.branch)).toEqual(['env/dev', 'env/staging', 'env/prod']);
    const custom = parsePipelineConfig(git(', envBranch: "deploy/{pipeline}-{env}"'), { filename: 'kargo-env.yaml' });
    expect(custom.ok && custom.value.pipelines[0]?.environments.map((e) => e.branch)).toEqual(['deploy/flask-app-dev', 'deploy/flask-app-staging', 'deploy/flask-app-prod']);
  });

  it('a pattern without {env} would put every environment on one branch: refused at the field', () => {
    const text = git(', envBranch: deploy');
    expect(problems(text).errors.map((e) => `${e.path}: ${e.message}`)).toEqual([expect.stringMatching(/^pipelines\[0\]\.git\.envBranch: must contain "\{env\}"/)]);
  });

  it('an invalid branch name, the source branch, or a folder of another branch are errors at git.envBranch', () => {
    const bad = git(', envBranch: "env {env}"');
    expect(problems(bad).errors.map((e) => `${e.code} ${e.path}`)).toEqual(Array(3).fill('invalid-branch pipelines[0].git.envBranch'));
    expect(problems(bad).errors[0]?.message).toBe('environment dev\'s branch "env dev" must not contain spaces, control characters or any of ~ ^ : ? * [ \\');
    const source = git(', branch: env-dev, envBranch: "env-{env}"');
    const [first] = problems(source).errors;
    expect(first).toMatchObject({ code: 'branch-conflict', path: 'pipelines[0].git.envBranch' });
    expect(first?.message).toContain('the source branch (git.branch "env-dev")');
    const folder = git(', branch: env, envBranch: "env/{env}"');
    expect(problems(folder).errors.map((e) => e.code)).toEqual(['branch-conflict', 'branch-conflict', 'branch-conflict']);
    expect(problems(folder).errors[0]?.message).toContain('one is a folder of the other');
  });

  it('two pipelines in one repository with the same branch pattern collide; {pipeline} separates them', () => {
    const two = (pattern: string): string => `${HEADER}pipelines:
  - app: web
    image: { repository: ghcr.io/acme/web }
    git: { repoURL: https://github.com/acme/mono.git, envBranch: "${pattern}", valuesDir: kargo/web/values }
  - app: api
    image: { repository: ghcr.io/acme/api }
    git: { repoURL: https://github.com/acme/mono.git, envBranch: "${pattern}", valuesDir: kargo/api/values }
`;
    const clash = problems(two('env/{env}')).errors;
    expect(clash.map((e) => `${e.code} ${e.path}`)).toEqual(Array(3).fill('branch-conflict pipelines[1].git.envBranch'));
    expect(clash[0]?.message).toContain('"env/dev" of pipelines[0].environments[0]');
    expect(problems(two('env/{pipeline}/{env}')).errors).toEqual([]);
  });
});

describe('environment content rules', () => {
  it('rejects Helm values kargo-env writes itself', () => {
    const text = envs('      - name: dev\n        values:\n          replicaCount: 5\n          image: { tag: latest, pullPolicy: Always }\n');
    const { errors } = problems(text);
    expect(errors.map((e) => e.path)).toEqual(['pipelines[0].environments[0].values.replicaCount', 'pipelines[0].environments[0].values.image.tag']);
    expect(errors[1]).toMatchObject(positionOf(text, 'latest'));
  });

  it('checks windows: time zone, empty hours, days with dates, calendar dates', () => {
    const text = envs(
      "      - name: dev\n        windows:\n          - { timezone: Mars/Olympus }\n          - { hours: '10:00-10:00' }\n          - { days: [mon], dates: ['2026-02-30'] }\n",
    );
    const { errors } = problems(text);
    expect(errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'pipelines[0].environments[0].windows[0].timezone: unknown time zone "Mars/Olympus" (use an IANA name such as Europe/Berlin)',
      'pipelines[0].environments[0].windows[1].hours: hours must not start and end at the same time',
      'pipelines[0].environments[0].windows[2].days: give either dates or days, not both',
      'pipelines[0].environments[0].windows[2].dates[0]: "2026-02-30" is not a calendar date',
    ]);
    expect(errors[3]).toMatchObject(positionOf(text, "'2026-02-30'"));
  });

  it('rejects the same verification twice', () => {
    const text = envs('      - name: dev\n        verification: [{ preset: smoke }, { preset: smoke, path: /health }]\n');
    expectOne(problems(text).errors, text, 'duplicate-verification', 'pipelines[0].environments[0].verification[1]', '{ preset: smoke, path');
  });

  it('warns (only) about auto-promotion into production-like environments', () => {
    const text = envs('      - name: dev\n      - name: prod-eu\n        promotion: { auto: true }\n');
    const { errors, warnings } = problems(text);
    expect(errors).toEqual([]);
    const warning = expectOne(warnings, text, 'auto-promotion-to-production', 'pipelines[0].environments[1].promotion.auto', 'true');
    expect(warning.severity).toBe('warning');
    expect(parsePipelineConfig(text).ok).toBe(true);
  });

  it('warns when the relay cannot see a non-GHCR image', () => {
    const text = `${HEADER}relay: { enabled: true }\npipelines:\n  - app: web\n    image: { repository: docker.io/acme/web }\n    git: { repoURL: https://github.com/acme/web.git }\n`;
    expectOne(problems(text).warnings, text, 'relay-non-ghcr-image', 'pipelines[0].image.repository', 'docker.io');
  });
});

describe('all problems at once', () => {
  it('reports every rule violation of a config in one pass', () => {
    const text = envs(
      '      - name: dev\n        promotion: { soak: 5m }\n      - name: qa\n        upstreams: [nope]\n      - name: qa\n        values: { replicaCount: 2 }\n',
    );
    const { errors } = problems(text);
    expect(errors.map((e) => e.code).sort()).toEqual(['duplicate-environment', 'soak-without-upstream', 'unknown-upstream', 'values-conflict']);
    for (const e of errors) expect(e.line).toBeGreaterThan(0);
  });
});

describe('cross-pipeline and Argo CD rules', () => {
  it('two pipelines writing the same values files', () => {
    const text = `${HEADER}pipelines:
  - app: one
    image: { repository: ghcr.io/acme/one }
    git: { repoURL: https://github.com/acme/d.git, valuesDir: shared }
    environments: [{ name: dev }]
  - app: two
    image: { repository: ghcr.io/acme/two }
    git: { repoURL: https://github.com/acme/d.git, valuesDir: shared }
    environments: [{ name: dev }]
`;
    const issue = expectOne(problems(text).errors, text, 'duplicate-name', 'pipelines[1].git.valuesDir', 'shared', 1);
    expect(issue.message).toBe('values file shared/dev-values.yaml is also written by pipelines[0].environments[0]; set git.valuesDir');
  });

  it('a destination with both server and name', () => {
    const text = pipelineYaml('    argocd:\n      destination: { server: https://k8s.example:6443, name: prod-cluster }\n');
    expectOne(problems(text).errors, text, 'invalid-destination', 'pipelines[0].argocd.destination', 'destination');
  });
});
