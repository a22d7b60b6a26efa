// `kargo-env doctor`: checks the config, the cluster and the GitHub side together; ✓/⚠/✗ with the evidence
// and the fix for each. Read-only (see rbac/kargo-env-readonly.yaml).
import { booleanFlag, defineCommand, type Flags } from '../command.ts';
import { ExitCode } from '../errors.ts';
import type { Output } from '../output.ts';
import type { DoctorReport } from '../kube/doctor.ts';
import { addClusterFlags, clusterOptionsFromFlags } from '../kube/flags.ts';
import type { ClusterIo, ClusterOptions } from '../kube/session.ts';

export interface DoctorOptions extends ClusterOptions {
  /** Skip the drift check (rendering the config and reading every rendered object). */
  readonly noDrift: boolean;
}

export function doctorOptionsFromFlags(flags: Flags): DoctorOptions {
  return { ...clusterOptionsFromFlags(flags), noDrift: booleanFlag(flags, 'noDrift') || flags['drift'] === false };
}

export async function runDoctor(options: DoctorOptions, io: ClusterIo): Promise<DoctorReport & { config: string }> {
  const { openSession } = await import('../kube/session.ts');
  const { doctor } = await import('../kube/doctor.ts');
  const session = await openSession(options, io);
  let files: ReadonlyMap<string, string> | undefined;
  if (!options.noDrift) {
    const { renderTree } = await import('../lib/pipeline.ts');
    files = (await renderTree(session.config, undefined)).files;
  }
  const report = await doctor({ config: session.config, files, client: session.client, kubernetesVersion: session.kubernetesVersion });
  return { config: session.configDisplay, ...report };
}

export function formatDoctor(report: DoctorReport, paint: Output['paint']): string {
  const lines: string[] = [`kargo-env doctor · context ${report.context} · ${report.server} · Kubernetes ${report.kubernetesVersion}`, ''];
  for (const check of report.checks) {
    const mark = check.status === 'ok' ? paint('green', '✓') : check.status === 'warn' ? paint('yellow', '⚠') : paint('red', '✗');
    lines.push(`${mark} ${paint('bold', check.title)}`);
    for (const e of check.evidence) lines.push(`    ${e}`);
    if (check.fix !== undefined && check.status !== 'ok') lines.push(`    ${paint('cyan', 'fix:')} ${check.fix}`);
  }
  const { ok, warn, fail } = report.summary;
  lines.push('', `${fail === 0 ? paint('green', '✓') : paint('red', '✗')} ${ok} ok, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failing`);
  return lines.join('\n');
}

export const doctorCommand = defineCommand<DoctorOptions>({
  name: 'doctor',
  summary: 'check the cluster for everything the pipeline needs (Kargo, Argo CD, Rollouts, credentials, Warehouse, Stages, relay), with the fix for each',
  examples: [
    ['kargo-env doctor', 'check the current kubeconfig context against kargo-env.yaml'],
    ['kargo-env doctor --context prod-cluster --json', 'another context; one JSON document for CI'],
  ],
  configure(command) {
    addClusterFlags(command);
    command.option('--no-drift', 'skip comparing the rendered kargo/ tree with the cluster');
    command.addHelpText('after', '\nRead-only; Secrets are read as metadata only. Exit codes: 0 no check failing (warnings allowed) · 1 a check fails · 2 cannot reach the cluster, or usage error.\n');
  },
  toOptions: doctorOptionsFromFlags,
  async execute(options, io, output) {
    const report = await runDoctor(options, io);
    output.data(report);
    if (!output.json) output.result(formatDoctor(report, output.paint));
    return report.ok ? ExitCode.Ok : ExitCode.Failure;
  },
});
