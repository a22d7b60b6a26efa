// The commented kargo-env.yaml that `kargo-env init` writes.
import { stringify } from 'yaml';
import { PIPELINE_CONFIG_API_VERSION, PIPELINE_CONFIG_KIND, PIPELINE_CONFIG_SCHEMA_ID } from './constants.ts';

export interface StarterConfigOptions {
  /** App name (DNS-1123 label). Default: the image repository's last path segment. */
  readonly app?: string;
  /** Image repository without tag, e.g. ghcr.io/owner/app. */
  readonly image: string;
  /** HTTPS URL of the Git repository that holds the values files. */
  readonly repo: string;
  /** `$schema` address for the editor line (a URL, or a path relative to the config). Default: `defaultSchemaUrl()`. */
  readonly schemaUrl?: string;
}

/**
 * Where the starter's `$schema` line points unless told otherwise: the schema on the repository's default
 * branch, which an editor can fetch whether or not the package is published or installed. `kargo-env init`
 * prefers a relative path into `node_modules/@kargo/model` when the package is installed beside the config,
 * which also works offline and matches the installed version.
 */
export function defaultSchemaUrl(): string {
  return PIPELINE_CONFIG_SCHEMA_ID;
}

function scalar(value: string): string {
  return stringify(value).trimEnd();
}

/**
 * A commented kargo-env.yaml for one app on the seed's dev → staging → prod layout. The values are written
 * as given; parse the result with parsePipelineConfig to check them.
 */
export function renderStarterConfig(options: StarterConfigOptions): string {
  const app = options.app ?? options.image.split('/').at(-1) ?? 'app';
  return `# yaml-language-server: $schema=${options.schemaUrl ?? defaultSchemaUrl()}
# kargo-env pipeline config. \`kargo-env render\` turns it into the kargo/ tree (Kargo Project, Warehouse,
# Stages, AnalysisTemplates, values files, Argo CD Applications); \`kargo-env validate\` checks it.
apiVersion: ${PIPELINE_CONFIG_API_VERSION}
kind: ${PIPELINE_CONFIG_KIND}
pipelines:
  - app: ${scalar(app)}
    image:
      repository: ${scalar(options.image)}
      # Only stable 1.x releases create Freight: pre-releases and "latest" are ignored.
      strategy: SemVer
      constraint: ^1.0.0
    git:
      # main holds the chart and render's values files; each promotion copies them to the environment's own
      # branch (env/<env>), sets the image tag there and commits; that environment's Argo CD Application tracks it.
      repoURL: ${scalar(options.repo)}
      branch: main
    argocd:
      chart:
        path: charts/${app}
    # Environments in promotion order; each one's upstream defaults to the previous environment.
    environments:
      - name: dev
        color: green
        replicas: 1
        resources: { cpu: 50m, memory: 64Mi }
        service: { type: ClusterIP }
        promotion: { auto: true, mode: git }
        verification:
          - preset: smoke
      - name: staging
        color: amber
        replicas: 2
        resources: { cpu: 100m, memory: 128Mi }
        service: { type: LoadBalancer }
        # Promoted automatically once the Freight has run in dev for 30 minutes.
        promotion: { auto: true, soak: 30m, mode: git }
        verification:
          - preset: integration
      - name: prod
        color: red
        replicas: 3
        resources: { cpu: 200m, memory: 256Mi }
        service: { type: LoadBalancer }
        # Manual only: a promotion opens a pull request against the values file.
        promotion: { auto: false, mode: pull-request }
        verification:
          - preset: security-scan
          - preset: performance
`;
}
