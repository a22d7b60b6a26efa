// The human report of a simulation: the Warehouse's decisions, then per environment the tag it starts at (and
// where that comes from), a timeline table with the change each promotion commits (times as earliest–latest),
// failures, holds and pending work; then approvals, pull requests, stalls and notes.
import { STAGE_REQUEUE_MINUTES } from './kargo.ts';
import { InitialTagSource, Timing, formatMinutes, type SimulatedEnvironment, type SimulatedPromotion, type SimulationResult } from './result.ts';

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

const at = (m: number): string => `+${formatMinutes(m)}`;

/** `+30m`, or `+30m–35m` when the latest time differs. */
function range(from: number, to: number): string {
  return to === from ? at(from) : `${at(from)}–${formatMinutes(to)}`;
}

function how(p: SimulatedPromotion): string {
  const parts = [p.trigger === 'approval' ? 'approved' : 'auto'];
  if (p.mergedAtMinutes !== undefined) parts.push(`PR opened ${at(p.promotedAtMinutes)}, merged ${at(p.mergedAtMinutes)}`);
  if (p.delayMinutes > 0) {
    const by = p.delayedBy.length > 0 ? ` (sync blocked by ${p.delayedBy.join(', ')})` : '';
    if (p.mergedAtMinutes === undefined) parts.push(p.change.branch === undefined ? `Application updated ${at(p.argocdUpdateAtMinutes)}` : `committed to ${p.change.branch} ${at(p.promotedAtMinutes)}`);
    parts.push(`Running in argocd-update ${formatMinutes(p.delayMinutes)}${by}`);
  }
  if (p.onlyIf === Timing.NoticedAtOnce) parts.push('only if soaks are noticed at once');
  if (p.onlyIf === Timing.NoticedLate) parts.push(`only if soaks are noticed ${STAGE_REQUEUE_MINUTES}m late`);
  return parts.join(', ');
}

/** The whole report as text (no colour), deterministic for a given result. */
export function formatSimulation(result: SimulationResult): string {
  const startMs = Date.parse(result.start);
  const wall = (m: number): string => formatInstant(startMs + m * 60_000);
  /** `Mon 2026-01-05 00:30`, `Mon 2026-01-05 00:30–00:35`, or both instants in full across days. */
  const wallRange = (from: number, to: number): string => {
    if (to === from) return wall(from);
    const [a, b] = [wall(from), wall(to)];
    return a.slice(0, 14) === b.slice(0, 14) ? `${a}–${b.slice(15)}` : `${a} – ${b}`;
  };
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

  const name = (x: { readonly pipeline: string; readonly stage: string }): string => `${several ? `${x.pipeline}/` : ''}${x.stage}`;
  for (const env of result.environments) {
    const source = env.upstreams.length === 0 ? `from Warehouse ${env.pipeline}` : `from ${env.upstreams.join(env.availability === 'All' ? ' + ' : ' or ')}`;
    const rules = [env.auto ? 'auto' : 'manual', ...(env.soak === undefined ? [] : [`soak ${env.soak}`]), ...(env.mode === 'pull-request' ? ['PR'] : env.mode === 'argocd' ? ['argocd'] : []), source];
    if (env.windows.length > 0) rules.push(`windows ${env.windows.join(', ')}`);
    out.push('', `${name(env)} · ${rules.join(' · ')}`);
    out.push(`  starts at ${env.initialTag} (${startSource(env)})`);
    const mine = result.promotions.filter((p) => p.pipeline === env.pipeline && p.stage === env.stage);
    if (mine.length === 0) out.push(`  (no promotion; still runs ${env.finalTag})`);
    else out.push(...table(['AT', 'TIME (UTC)', 'TAG', 'HOW', 'CHANGE'], mine.map((p) => [range(p.atMinutes, p.latestAtMinutes), wallRange(p.atMinutes, p.latestAtMinutes), image(p), how(p), describeChange(p)])));
    for (const f of result.failed.filter((x) => x.pipeline === env.pipeline && x.stage === env.stage)) {
      out.push(`  failed ${range(f.failedAtMinutes, f.latestFailedAtMinutes)}: ${f.tag} (${f.freight}), ${f.message}`);
    }
    for (const h of env.holds) {
      const released = h.releasedAtMinutes === undefined ? ', still held at the end' : `, released ${at(h.releasedAtMinutes)}${h.releasedBy === undefined ? '' : ` by the promotion of ${h.releasedBy}`}`;
      out.push(`  auto-promotion held from ${at(h.sinceMinutes)} (manual promotion of ${h.tag}, ${h.freight})${released}`);
    }
    for (const p of result.pending.filter((x) => x.pipeline === env.pipeline && x.stage === env.stage)) {
      out.push(`  pending: ${p.tag} requested ${at(p.requestedAtMinutes)}, ${p.reason}`);
    }
  }

  if (result.approvals.length > 0) {
    out.push('', 'Approvals');
    out.push(...table(['AT', 'ENVIRONMENT', 'OUTCOME', 'DETAIL'], result.approvals.map((a) => [at(a.atMinutes), `${name(a)}${a.requestedTag === undefined ? '' : `=${a.requestedTag}`}`, a.outcome, a.message])));
  }
  if (result.pullRequests.length > 0) {
    out.push('', 'Pull requests');
    out.push(...table(['AT', 'ENVIRONMENT', 'ACTION', 'OUTCOME', 'DETAIL'], result.pullRequests.map((a) => [at(a.atMinutes), name(a), a.action, a.outcome, a.message])));
  }
  if (result.stalls.length > 0) {
    out.push('', 'Would stall on a real cluster');
    for (const s of result.stalls) {
      const only = s.onlyIf === Timing.NoticedAtOnce ? ' (only if soaks are noticed at once)' : s.onlyIf === Timing.NoticedLate ? ` (only if soaks are noticed ${STAGE_REQUEUE_MINUTES}m late)` : '';
      out.push(`  - ${name(s)} since ${at(s.sinceMinutes)} (${s.kind})${only}: ${s.reason}`);
    }
  }
  if (result.notes.length > 0) out.push('', 'Notes', ...result.notes.map((n) => `  - ${n}`));
  return `${out.join('\n')}\n`;
}
