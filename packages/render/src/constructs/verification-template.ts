import { Construct } from 'constructs';
import { PRESET_IMAGES, VerificationPreset, type IAnalysisTemplate } from '@kargo/model';
import { ROLLOUTS_API_VERSION } from '../constants.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, checkName, compact } from './api-object.ts';



export interface VerificationTemplateProps {
  /** Which check this template runs. */
  readonly preset: VerificationPreset;
  /** Project namespace (Kargo looks AnalysisTemplates up there). */
  readonly namespace: string;
  /** Template name. @default the preset name */
  readonly name?: string;
  /** Container image. Required for `integration` (the test image); the others default to the model's PRESET_IMAGES. */
  readonly image?: string;
  /** `integration` only: command of the test container. @default the image's entrypoint */
  readonly command?: readonly string[];
  /** `integration` only: arguments of the test container. @default [] */
  readonly args?: readonly string[];
  /** `integration` only: extra environment of the test container. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** `security-scan` only: severities that fail the scan. @default HIGH, CRITICAL */
  readonly severity?: readonly string[];
  /** `security-scan` only: skip vulnerabilities without a fix. @default true */
  readonly ignoreUnfixed?: boolean;
  /** `performance` only: virtual users. @default 10 */
  readonly vus?: number;
  /** `performance` only: test length (k6 duration). @default `30s` */
  readonly duration?: string;
  /** `performance` only: the 95th-percentile latency limit in milliseconds. @default 500 */
  readonly p95Ms?: number;
  /** `performance` only: the highest accepted share of failed requests, 0–1. @default 0.01 */
  readonly errorRate?: number;
  /** Seconds before the Job is killed and the check fails. @default 600 */
  readonly timeoutSeconds?: number;
}

/**
 * The argument each preset needs from the Stage (its other arguments carry defaults). Names are prefixed
 * per preset because Kargo passes one argument list to every template of a verification.
 */
export const PresetArg = {
  [VerificationPreset.Smoke]: 'smoke-url',
  [VerificationPreset.Integration]: 'integration-url',
  [VerificationPreset.SecurityScan]: 'scan-image',
  [VerificationPreset.Performance]: 'perf-url',
} as const satisfies Record<VerificationPreset, string>;

// k6 reads its limits from the environment so the script itself never needs templating.
const K6_SCRIPT = `cat > /tmp/load.js <<'EOF'
import http from 'k6/http';
import { check } from 'k6';
export const options = {
  vus: Number(__ENV.VUS),
  duration: __ENV.DURATION,
  thresholds: {
    http_req_duration: ['p(95)<' + __ENV.P95_MS],
    http_req_failed: ['rate<' + __ENV.MAX_ERROR_RATE],
  },
};
export default function () {
  check(http.get(__ENV.TARGET_URL), { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
}
EOF
exec k6 run --quiet /tmp/load.js
`;

/**
 * An Argo Rollouts AnalysisTemplate that runs one Kubernetes Job; the Job's exit code is the verdict
 * (a failed Job fails the AnalysisRun and so the Stage's verification).
 */
export class VerificationTemplate extends Construct {
  readonly templateName: string;

  constructor(scope: Construct, id: string, props: VerificationTemplateProps) {
    super(scope, id);
    const name = props.name ?? props.preset;
    checkName('VerificationTemplate', name, 'subdomain');
    const what = 'VerificationTemplate';
    if (props.preset === VerificationPreset.Integration && props.image === undefined) {
      throw invalidProps(what, name, 'the integration preset needs the test image');
    }
    const integrationOnly = [['command', props.command], ['args', props.args], ['env', props.env]] as const;
    for (const [k, v] of integrationOnly) {
      if (v !== undefined && props.preset !== VerificationPreset.Integration) throw invalidProps(what, name, `${k} applies only to the integration preset`);
    }
    if (props.errorRate !== undefined && !(props.errorRate >= 0 && props.errorRate <= 1)) {
      throw invalidProps(what, name, `errorRate ${props.errorRate} is not in 0–1`);
    }
    for (const [k, v] of [['vus', props.vus], ['p95Ms', props.p95Ms], ['timeoutSeconds', props.timeoutSeconds]] as const) {
      if (v !== undefined && !(v > 0 && (k === 'p95Ms' || Number.isInteger(v)))) throw invalidProps(what, name, `${k} ${v} is not a positive ${k === 'p95Ms' ? 'number' : 'integer'}`);
    }
    if (props.severity !== undefined && props.severity.length === 0) throw invalidProps(what, name, 'severity lists nothing');
    this.templateName = name;
    const { args, container } = presetSpec(props);
    addManifest(this, 'AnalysisTemplate', {
      apiVersion: ROLLOUTS_API_VERSION,
      kind: 'AnalysisTemplate',
      metadata: { name, namespace: props.namespace },
      spec: {
        args,
        metrics: [{
          name: props.preset,
          provider: {
            job: {
              metadata: { labels: { 'kargo-env/verification': props.preset } },
              spec: {
                backoffLimit: 0,
                activeDeadlineSeconds: props.timeoutSeconds ?? 600,
                ttlSecondsAfterFinished: 3600,
                template: { spec: { restartPolicy: 'Never', containers: [{ name: props.preset, ...container }] } },
              },
            },
          },
        }],
      } satisfies IAnalysisTemplate['spec'],
    });
  }
}

type Arg = { name: string; value?: string };

function presetSpec(props: VerificationTemplateProps): { args: Arg[]; container: Record<string, unknown> } {
  switch (props.preset) {
    case VerificationPreset.Smoke:
      return {
        args: [{ name: PresetArg.smoke }],
        container: {
          image: props.image ?? PRESET_IMAGES.smoke,
          command: ['curl'],
          // Retries cover the seconds between Argo CD reporting Healthy and the Service answering.
          args: ['--fail', '--silent', '--show-error', '--location', '--retry', '10', '--retry-delay', '3', '--retry-all-errors', '--max-time', '10', '--output', '/dev/null', `{{args.${PresetArg.smoke}}}`],
        },
      };
    case VerificationPreset.Integration: {
      const env = Object.entries(props.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }));
      return {
        args: [{ name: PresetArg.integration }],
        container: compact({
          image: props.image,
          command: props.command === undefined ? undefined : [...props.command],
          args: props.args !== undefined && props.args.length > 0
            ? [...props.args]
            // The default test image is curl, whose entrypoint does nothing without arguments: check the URL.
            : props.command === undefined && (props.image ?? '').startsWith('curlimages/curl')
              ? ['--fail', '--silent', '--show-error', '--location', '--retry', '10', '--retry-delay', '3', '--retry-all-errors', '--max-time', '10', '--output', '/dev/null', '$(TARGET_URL)']
              : undefined,
          env: [{ name: 'TARGET_URL', value: `{{args.${PresetArg.integration}}}` }, ...env.filter((e) => e.name !== 'TARGET_URL')],
        }),
      };
    }
    case VerificationPreset.SecurityScan:
      return {
        args: [
          { name: PresetArg['security-scan'] },
          { name: 'scan-severity', value: (props.severity ?? ['HIGH', 'CRITICAL']).join(',') },
          { name: 'scan-ignore-unfixed', value: String(props.ignoreUnfixed ?? true) },
        ],
        container: {
          image: props.image ?? PRESET_IMAGES['security-scan'],
          args: ['image', '--exit-code', '1', '--no-progress', '--severity', '{{args.scan-severity}}', '--ignore-unfixed={{args.scan-ignore-unfixed}}', `{{args.${PresetArg['security-scan']}}}`],
        },
      };
    case VerificationPreset.Performance:
      return {
        args: [
          { name: PresetArg.performance },
          { name: 'perf-vus', value: String(props.vus ?? 10) },
          { name: 'perf-duration', value: props.duration ?? '30s' },
          { name: 'perf-p95-ms', value: String(props.p95Ms ?? 500) },
          { name: 'perf-error-rate', value: String(props.errorRate ?? 0.01) },
        ],
        container: {
          image: props.image ?? PRESET_IMAGES.performance,
          command: ['sh', '-c', K6_SCRIPT],
          env: [
            { name: 'TARGET_URL', value: `{{args.${PresetArg.performance}}}` },
            { name: 'VUS', value: '{{args.perf-vus}}' },
            { name: 'DURATION', value: '{{args.perf-duration}}' },
            { name: 'P95_MS', value: '{{args.perf-p95-ms}}' },
            { name: 'MAX_ERROR_RATE', value: '{{args.perf-error-rate}}' },
          ],
        },
      };
  }
}
