// The human report of a simulation: the Warehouse's decisions, then per environment the tag it starts at (and
// where that comes from) and a timeline table with the change each promotion commits.
import { InitialTagSource, formatMinutes, type SimulatedEnvironment, type SimulatedPromotion, type SimulationResult } from './engine.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `Mon 2026-01-05 09:30` in UTC. */
export function formatInstant(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()] ?? ''} ${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `${indent}${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `kargo/values/dev-values.yaml: image.tag: 1.8.3 → 1.8.4`, or the Application parameter for argocd mode. */
export function describeChange(p: SimulatedPromotion): string {
  const { change } = p;
  const what = `${change.key}: ${change.from} → ${change.to}`;
  if (change.file === undefined) return `Application ${change.application}: Helm parameter ${what}`;
  return `${change.file}: ${what}${p.mode === 'pull-request' ? ' (pull request)' : ''}`;
}

/** `1.8.4@sha256:3f9a` when the push named a digest, else the tag. */
function image(x: { readonly tag: string; readonly digest?: string }): string {
  return x.digest === undefined ? x.tag : `${x.tag}@${x.digest}`;
}

/** `image.tag in kargo/values/dev-values.yaml`, or `the configured initialTag; kargo/values/dev-values.yaml not found`. */
function startSource(env: SimulatedEnvironment): string {
  if (env.initialTagSource === InitialTagSource.ValuesFile) return env.initialTagNote ?? 'the values file';
  return env.initialTagNote === undefined ? 'the configured initialTag' : `the configured initialTag; ${env.initialTagNote}`;
}

function how(p: SimulatedPromotion): string {
  const trigger = p.trigger === 'approval' ? 'approved' : 'auto';
  if (p.delayMinutes === 0) return trigger;
  const by = p.delayedBy.length > 0 ? ` by ${p.delayedBy.join(', ')}` : '';
  return `${trigger}, committed +${formatMinutes(p.promotedAtMinutes)}, sync held ${formatMinutes(p.delayMinutes)}${by}`;
}

/** The whole report as text (no colour), deterministic for a given result. */
export function formatSimulation(result: SimulationResult): string {
  const startMs = Date.parse(result.start);
  const at = (m: number): string => `+${formatMinutes(m)}`;
  const wall = (m: number): string => formatInstant(startMs + m * 60_000);
  const several = result.warehouses.length > 1;
  const out: string[] = [`Simulated ${wall(0)} UTC (+0m) to ${wall(result.untilMinutes)} UTC (${at(result.untilMinutes)}).`];

  for (const w of result.warehouses) {
    out.push('', `Warehouse ${w.pipeline} · ${w.repository} · ${w.rule}`);
    const rows = [
      ...result.freight.filter((f) => f.pipeline === w.pipeline).map((f) => ({ m: f.atMinutes, row: [at(f.atMinutes), image(f), `Freight ${f.id}`] })),
      ...result.rejected.filter((r) => r.pipeline === w.pipeline).map((r) => ({ m: r.atMinutes, row: [at(r.atMinutes), image(r), `no Freight (${r.reason}): ${r.message}`] })),
    ].sort((a, b) => a.m - b.m);
    if (rows.length === 0) out.push('  (no pushes)');
    else out.push(...table(['AT', 'TAG', 'RESULT'], rows.map((r) => r.row)));
  }

  for (const env of result.environments) {
    const source = env.upstreams.length === 0 ? `from Warehouse ${env.pipeline}` : `from ${env.upstreams.join(env.availability === 'All' ? ' + ' : ' or ')}`;
    const rules = [env.auto ? 'auto' : 'manual', ...(env.soak === undefined ? [] : [`soak ${env.soak}`]), ...(env.mode === 'pull-request' ? ['PR'] : env.mode === 'argocd' ? ['argocd'] : []), source];
    if (env.windows.length > 0) rules.push(`windows ${env.windows.join(', ')}`);
    out.push('', `${several ? `${env.pipeline}/` : ''}${env.stage} · ${rules.join(' · ')}`);
    out.push(`  starts at ${env.initialTag} (${startSource(env)})`);
    const mine = result.promotions.filter((p) => p.pipeline === env.pipeline && p.stage === env.stage);
    if (mine.length === 0) out.push(`  (no promotion; still runs ${env.finalTag})`);
    else out.push(...table(['AT', 'TIME (UTC)', 'TAG', 'HOW', 'CHANGE'], mine.map((p) => [at(p.atMinutes), wall(p.atMinutes), image(p), how(p), describeChange(p)])));
    for (const p of result.pending.filter((x) => x.pipeline === env.pipeline && x.stage === env.stage)) {
      const when = p.syncAtMinutes !== undefined ? `syncs at ${at(p.syncAtMinutes)} (${wall(p.syncAtMinutes)} UTC)` : p.promotedAtMinutes === undefined ? 'queued behind another promotion' : 'no window opens within a year';
      const by = p.delayedBy.length > 0 ? `, held by ${p.delayedBy.join(', ')}` : '';
      out.push(`  pending: ${p.tag} requested ${at(p.requestedAtMinutes)}, ${when}${by}`);
    }
  }

  if (result.approvals.length > 0) {
    out.push('', 'Approvals');
    out.push(...table(['AT', 'ENVIRONMENT', 'OUTCOME', 'DETAIL'], result.approvals.map((a) => [at(a.atMinutes), `${several ? `${a.pipeline}/` : ''}${a.stage}${a.requestedTag === undefined ? '' : `=${a.requestedTag}`}`, a.outcome, a.message])));
  }
  if (result.notes.length > 0) out.push('', 'Notes', ...result.notes.map((n) => `  - ${n}`));
  return `${out.join('\n')}\n`;
}
