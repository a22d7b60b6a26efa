// Realistic, valid Kargo objects, step configs and subscriptions, written against the model's types
// (so a model change that breaks them fails typecheck) and checked against upstream by the tests.
import {
  KARGO_API_VERSION,
  KargoAnnotation,
  authorizedStageValue,
  type ChartSubscription,
  type ClusterConfig,
  type ClusterPromotionTask,
  type Freight,
  type GitSubscription,
  type ImageSubscription,
  type KargoObject,
  type Project,
  type ProjectConfig,
  type Promotion,
  type PromotionTask,
  type Stage,
  type StepConfig,
  type StepName,
  type Warehouse,
} from '../../src/index.ts';

const apiVersion = KARGO_API_VERSION;

export const project: Project = {
  apiVersion,
  kind: 'Project',
  metadata: { name: 'flask-app', annotations: { [KargoAnnotation.KeepNamespace]: 'true' } },
};

export const projectConfig: ProjectConfig = {
  apiVersion,
  kind: 'ProjectConfig',
  metadata: { name: 'flask-app', namespace: 'flask-app' },
  spec: {
    promotionPolicies: [
      { stageSelector: { name: 'dev' }, autoPromotionEnabled: true },
      { stageSelector: { name: 'glob:stag*', matchLabels: { tier: 'pre-prod' } }, autoPromotionEnabled: true },
      { stage: 'legacy', autoPromotionEnabled: false },
    ],
    webhookReceivers: [
      { name: 'ghcr', github: { secretRef: { name: 'ghcr-webhook' } } },
      { name: 'artifactory', artifactory: { secretRef: { name: 'jfrog' }, virtualRepoName: 'docker-virtual' } },
      {
        name: 'ecr',
        generic: {
          secretRef: { name: 'ecr-webhook' },
          actions: [
            {
              action: 'Refresh',
              whenExpression: "request.header('X-Event') == 'push'",
              parameters: { repo: '${{ request.body.repository }}' },
              targetSelectionCriteria: [
                {
                  kind: 'Warehouse',
                  indexSelector: {
                    matchIndices: [{ key: 'subscribedURLs', operator: 'Equals', value: '${{ normalizeImage(request.body.repo) }}' }],
                  },
                },
              ],
            },
          ],
        },
      },
    ],
    freightLinks: [{ title: 'Build', url: '${{ freight.metadata.buildUrl }}' }],
    stageLinks: [{ title: 'App', url: 'https://flask.example.com', if: "${{ ctx.stage == 'prod' }}" }],
  },
};

export const clusterConfig: ClusterConfig = {
  apiVersion,
  kind: 'ClusterConfig',
  metadata: { name: 'cluster' },
  spec: {
    webhookReceivers: [{ name: 'org-hook', github: { secretRef: { name: 'org-hook' } } }],
    gitClient: { name: 'Kargo Bot', email: 'kargo@example.com', signingKeySecret: { name: 'gpg-key' } },
  },
};

export const imageSubscription: ImageSubscription = {
  repoURL: 'ghcr.io/alkon/flask-app',
  imageSelectionStrategy: 'SemVer',
  constraint: '^1.0.0',
  strictSemvers: true,
  ignoreTagsRegexes: ['-rc'],
  platform: 'linux/amd64',
  discoveryLimit: 10,
  cacheByTag: true,
};

export const gitSubscription: GitSubscription = {
  repoURL: 'https://github.com/alkon/flask-app.git',
  commitSelectionStrategy: 'NewestFromBranch',
  branch: 'main',
  includePaths: ['charts/flask-app'],
  discoveryLimit: 5,
  since: '2026-01-01T00:00:00Z',
};

export const chartSubscriptions: ChartSubscription[] = [
  { repoURL: 'https://charts.example.com', name: 'flask-app', semverConstraint: '^1.0.0' },
  { repoURL: 'oci://ghcr.io/alkon/charts/flask-app', discoveryLimit: 3, insecureSkipTLSVerify: false },
];

export const warehouse: Warehouse = {
  apiVersion,
  kind: 'Warehouse',
  metadata: { name: 'flask-app', namespace: 'flask-app', labels: { 'app.kubernetes.io/name': 'flask-app' } },
  spec: {
    interval: '5m0s',
    freightCreationPolicy: 'Automatic',
    freightCreationCriteria: { expression: "imageFrom('ghcr.io/alkon/flask-app').Tag != ''" },
    subscriptions: [{ image: imageSubscription }, { git: gitSubscription }, { chart: chartSubscriptions[0]! }],
  },
};

export const stage: Stage = {
  apiVersion,
  kind: 'Stage',
  metadata: {
    name: 'staging',
    namespace: 'flask-app',
    annotations: { [KargoAnnotation.Color]: 'amber' },
  },
  spec: {
    vars: [{ name: 'gitRepo', value: 'https://github.com/alkon/flask-app.git' }, { name: 'imageRepo', value: 'ghcr.io/alkon/flask-app' }],
    requestedFreight: [
      {
        origin: { kind: 'Warehouse', name: 'flask-app' },
        sources: {
          stages: ['dev'],
          requiredSoakTime: '30m',
          availabilityStrategy: 'OneOf',
          autoPromotionOptions: { selectionPolicy: 'MatchUpstream' },
        },
      },
    ],
    promotionTemplate: {
      spec: {
        vars: [{ name: 'valuesFile', value: 'env/staging/values.yaml' }],
        steps: [
          {
            uses: 'git-clone',
            config: { repoURL: '${{ vars.gitRepo }}', checkout: [{ branch: 'main', path: './src' }] },
          },
          {
            uses: 'yaml-update',
            as: 'update',
            config: {
              path: './src/${{ vars.valuesFile }}',
              updates: [{ key: 'image.tag', value: '${{ imageFrom(vars.imageRepo).Tag }}' }],
            },
          },
          {
            uses: 'git-commit',
            config: { path: './src', message: '${{ outputs.update.commitMessage }}' },
          },
          {
            uses: 'git-push',
            retry: { timeout: '10m', errorThreshold: 3 },
            config: { path: './src', targetBranch: 'main' },
          },
          { task: { name: 'notify', kind: 'ClusterPromotionTask' }, as: 'notify', vars: [{ name: 'channel', value: 'deploys' }] },
          {
            uses: 'argocd-update',
            if: '${{ success() }}',
            continueOnError: false,
            config: { apps: [{ name: 'flask-app-staging', sources: [{ repoURL: '${{ vars.gitRepo }}', desiredRevision: '${{ outputs.commit }}' }] }] },
          },
        ],
      },
    },
    verification: {
      analysisTemplates: [{ name: 'integration-tests' }, { name: 'smoke', kind: 'ClusterAnalysisTemplate' }],
      analysisRunMetadata: { labels: { stage: 'staging' } },
      args: [{ name: 'url', value: 'http://flask-app.flask-app-staging.svc' }],
    },
  },
};

export const freight: Freight = {
  apiVersion,
  kind: 'Freight',
  metadata: { name: '0f2c3b1d4e5a6978', namespace: 'flask-app', labels: { 'kargo.akuity.io/alias': 'happy-cat' } },
  alias: 'happy-cat',
  discoveredAt: '2026-08-20T10:00:00Z',
  origin: { kind: 'Warehouse', name: 'flask-app' },
  images: [{ repoURL: 'ghcr.io/alkon/flask-app', tag: '1.8.4', digest: 'sha256:0123', annotations: { 'org.opencontainers.image.source': 'https://github.com/alkon/flask-app' } }],
  commits: [{ repoURL: 'https://github.com/alkon/flask-app.git', id: 'abc123', branch: 'main', message: 'fix', author: 'A', committer: 'B' }],
  charts: [{ repoURL: 'https://charts.example.com', name: 'flask-app', version: '1.2.3' }],
  artifacts: [{ subscriptionName: 'custom', version: 'v1', artifactType: 'blob', metadata: { size: 3 } }],
};

export const promotion: Promotion = {
  apiVersion,
  kind: 'Promotion',
  metadata: { name: 'staging.01j2.happy-cat', namespace: 'flask-app', labels: { 'kargo.akuity.io/stage': 'staging' } },
  spec: {
    stage: 'staging',
    freight: '0f2c3b1d4e5a6978',
    vars: [{ name: 'x', value: '1' }],
    steps: [{ uses: 'fail', if: '${{ vars.x == "2" }}', config: { message: 'refused' } }, { uses: 'compose-output', as: 'out', config: { done: true } }],
  },
};

export const promotionByOrigin: Promotion = {
  apiVersion,
  kind: 'Promotion',
  metadata: { generateName: 'prod-', namespace: 'flask-app' },
  spec: { stage: 'prod', origin: { kind: 'Warehouse', name: 'flask-app' }, steps: [{ uses: 'fail', config: { message: 'frozen' } }] },
};

export const promotionTask: PromotionTask = {
  apiVersion,
  kind: 'PromotionTask',
  metadata: { name: 'update-values', namespace: 'flask-app' },
  spec: {
    vars: [{ name: 'valuesFile' }],
    steps: [
      { uses: 'yaml-update', config: { path: '${{ vars.valuesFile }}', updates: [{ key: 'replicas', value: 2 }] } },
    ],
  },
};

export const clusterPromotionTask: ClusterPromotionTask = {
  apiVersion,
  kind: 'ClusterPromotionTask',
  metadata: { name: 'notify' },
  spec: {
    vars: [{ name: 'channel', value: 'general' }],
    steps: [
      {
        uses: 'http',
        as: 'post',
        config: {
          method: 'POST',
          url: 'https://hooks.example.com/${{ vars.channel }}',
          headers: [{ name: 'Content-Type', value: 'application/json' }],
          body: '${{ quote({"text": ctx.stage}) }}',
          successExpression: 'response.status == 200',
        },
      },
    ],
  },
};

/** One of every kind (two Promotions: by freight and by origin). */
export const validObjects: readonly KargoObject[] = [
  project,
  projectConfig,
  clusterConfig,
  warehouse,
  stage,
  freight,
  promotion,
  promotionByOrigin,
  promotionTask,
  clusterPromotionTask,
];

export const authorizedStage = authorizedStageValue('flask-app', 'staging');

/** At least one valid config per built-in step, without expressions where the schema wants non-strings. */
export const validStepConfigs: { readonly [N in StepName]: readonly StepConfig<N>[] } = {
  'argocd-update': [
    {
      apps: [
        {
          name: 'flask-app-dev',
          namespace: 'argocd',
          sources: [
            { repoURL: 'https://github.com/alkon/flask-app.git', desiredRevision: 'abc123', updateTargetRevision: true },
            { repoURL: 'ghcr.io/alkon/charts', chart: 'flask-app', helm: { images: [{ key: 'image.tag', value: '1.8.4' }] } },
            { repoURL: 'https://github.com/alkon/k.git', kustomize: { images: [{ repoURL: 'ghcr.io/alkon/flask-app', tag: '1.8.4' }] } },
          ],
        },
        { selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] } },
      ],
    },
  ],
  'argocd-wait': [{ apps: [{ name: 'flask-app-dev', waitFor: ['health', 'sync'] }, { selector: { matchLabels: { env: 'dev' } } }] }],
  'compose-output': [{ prURL: 'https://github.com/x/y/pull/1', count: 2 }],
  copy: [{ inPath: './a', outPath: './b', ignore: '*.tmp' }],
  delete: [{ path: './out', strict: true }, { paths: ['./a/*.yaml', './b'], pathsAreGlobs: true }],
  fail: [{}, { message: 'stop' }],
  'file-write': [{ path: './out/VERSION', contents: '1.8.4\n', permissions: '0644', overwrite: true }],
  'git-clear': [{ path: './out' }],
  'git-clone': [
    {
      repoURL: 'https://github.com/alkon/flask-app.git',
      author: { name: 'Kargo', email: 'kargo@example.com' },
      checkout: [{ branch: 'main', path: './src' }, { commit: 'abc123', path: './pinned' }, { tag: 'v1.0.0', path: './tag', sparse: ['charts'] }, { path: './default', create: true, as: 'default' }],
      blobless: true,
      recurseSubmodules: false,
    },
  ],
  'git-commit': [{ path: './src', message: 'Update image' }],
  'git-merge-pr': [{ repoURL: 'https://github.com/alkon/flask-app', prNumber: 42, provider: 'github', wait: true, pollInterval: '30s', mergeMethod: 'squash' }],
  'git-open-pr': [
    {
      repoURL: 'https://github.com/alkon/flask-app',
      sourceBranch: 'kargo/prod',
      targetBranch: 'main',
      title: 'Promote to prod',
      labels: ['kargo'],
      provider: 'github',
    },
  ],
  'git-push': [
    { path: './src', targetBranch: 'main', maxAttempts: 3, force: false },
    { path: './src', generateTargetBranch: true, provider: 'gitlab' },
    { path: './src', tag: 'v1.8.4' },
    { path: './src' },
  ],
  'git-tag': [{ path: './src', tag: 'v1.8.4', message: 'Release 1.8.4', force: true }],
  'git-wait-for-pr': [{ repoURL: 'https://github.com/alkon/flask-app', prNumber: 7, pollInterval: '1m' }],
  'github-push': [{ path: './src', targetBranch: 'main', insecureSkipTLSVerify: false }, { path: './src', generateTargetBranch: true }],
  'helm-template': [
    {
      path: './src/charts/flask-app',
      outPath: './out',
      releaseName: 'flask-app',
      outLayout: 'flat',
      namespace: 'flask-app-dev',
      valuesFiles: ['./src/env/dev/values.yaml'],
      setValues: [{ key: 'image.tag', value: '1.8.4', literal: true }],
      includeCRDs: true,
      apiVersions: ['monitoring.coreos.com/v1'],
      kubeVersion: '1.31.0',
    },
  ],
  'helm-update-chart': [{ path: './src/charts/flask-app', charts: [{ repository: 'https://charts.example.com', name: 'redis', version: '19.0.0' }] }],
  http: [
    {
      url: 'https://api.example.com/status',
      method: 'GET',
      queryParams: [{ name: 'stage', value: 'dev' }],
      timeout: '30s',
      pollInterval: '5s',
      insecureSkipTLSVerify: false,
      proxy: 'http://proxy.local:3128',
      responseContentType: 'application/json',
      outputs: [{ name: 'ok', fromExpression: 'response.body.ok' }],
      successExpression: 'response.status == 200',
      failureExpression: 'response.status >= 500',
      errorExpression: 'response.status == 418',
    },
  ],
  'http-download': [{ url: 'https://example.com/a.tgz', outPath: './a.tgz', allowOverwrite: true, headers: [{ name: 'Accept', value: '*/*' }], timeout: '2m' }],
  'json-parse': [{ path: './out/a.json', outputs: [{ name: 'v', fromExpression: 'version' }] }],
  'json-update': [{ path: './out/a.json', updates: [{ key: 'version', value: '1.8.4' }, { key: 'replicas', value: 3 }, { key: 'x', value: null }] }],
  'kustomize-build': [{ path: './src/overlays/dev', outPath: './out/manifests.yaml', outputFormat: 'kargo', plugin: { helm: { apiVersions: ['v1'], kubeVersion: '1.31' } } }],
  'kustomize-set-image': [
    { path: './src/overlays/dev', images: [{ image: 'ghcr.io/alkon/flask-app', tag: '1.8.4' }, { image: 'redis', digest: 'sha256:abc', newName: 'mirror/redis' }] },
    { path: './src/overlays/prod' },
  ],
  'oci-download': [{ imageRef: 'oci://ghcr.io/alkon/charts/flask-app:1.2.3', outPath: './chart.tgz', mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }],
  'oci-push': [{ srcRef: 'ghcr.io/alkon/flask-app@sha256:abc', destRef: 'registry.example.com:5000/flask-app:1.8.4', annotations: { 'org.opencontainers.image.version': '1.8.4' } }],
  'set-freight-alias': [{ name: '0f2c3b1d4e5a6978', alias: 'release-1-8-4' }],
  'set-metadata': [{ updates: [{ kind: 'Freight', name: '0f2c3b1d4e5a6978', values: { approvedBy: 'ops', ticket: 42 } }] }],
  'toml-parse': [{ path: './Cargo.toml', outputs: [{ name: 'v', fromExpression: 'package.version' }] }],
  'toml-update': [{ path: './Cargo.toml', updates: [{ key: 'package.version', value: '1.8.4' }] }],
  untar: [{ inPath: './chart.tgz', outPath: './chart', stripComponents: 1, ignore: '*.md' }],
  'yaml-merge': [{ inFiles: ['./base.yaml', './dev.yaml'], outFile: './merged.yaml', ignoreMissingFiles: true }],
  'yaml-parse': [{ path: './values.yaml', outputs: [{ name: 'tag', fromExpression: 'image.tag' }] }],
  'yaml-update': [{ path: './values.yaml', updates: [{ key: 'image.tag', value: '1.8.4' }, { key: 'resources', value: { limits: { cpu: '50m' } } }] }],
};
