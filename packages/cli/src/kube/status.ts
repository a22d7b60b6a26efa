// `status`: the pipeline as a table (environment → Freight/tag, health, last promotion, what happens next and
// when), and `--watch`: the same table kept current from the watch API (list once, then watch from the list's
// resourceVersion; re-list only on 410 Gone).
import type { PipelineConfig } from '@kargo/model';
import type { Painter } from '../output.ts';
import type { KubeClient, KubeObject } from './client.ts';
import { humanDuration, kargoPath, type Freight, type Stage } from './kargo.ts';
import { stageView, type StageView } from './pipeline-view.ts';

export interface StatusReport {
  readonly context: string;
  readonly at: string;
  readonly environments: readonly StageView[];
}

/** The objects status needs, per Project namespace, kept current by `watchStatus`. */
export class StatusState {
  readonly stages = new Map<string, Map<string, Stage>>();
  readonly freight = new Map<string, Map<string, Freight>>();

  namespaces(config: PipelineConfig): string[] {
    return [...new Set(config.pipelines.map((p) => p.project))];
  }

  report(config: PipelineConfig, context: string, now: number): StatusReport {
    const environments = config.pipelines.flatMap((p) => {
      const stages = this.stages.get(p.project) ?? new Map<string, Stage>();
      const freight = [...(this.freight.get(p.project) ?? new Map<string, Freight>()).values()];
      return p.environments.map((env) => stageView(p, env, stages.get(env.name), freight, now, config.pipelines.length > 1));
    });
    return { context, at: new Date(now).toISOString(), environments };
  }
}

const byName = <T extends KubeObject>(items: readonly T[]): Map<string, T> => new Map(items.map((i) => [i.metadata.name as string, i]));

export async function loadStatus(client: KubeClient, config: PipelineConfig, state = new StatusState()): Promise<{ state: StatusState; versions: Map<string, string | undefined> }> {
  const versions = new Map<string, string | undefined>();
  for (const ns of state.namespaces(config)) {
    const stages = await client.list<Stage>(kargoPath('stages', ns));
    const freight = await client.list<Freight>(kargoPath('freights', ns));
    state.stages.set(ns, byName(stages.items));
    state.freight.set(ns, byName(freight.items));
    versions.set(`stages/${ns}`, stages.metadata.resourceVersion);
    versions.set(`freights/${ns}`, freight.metadata.resourceVersion);
  }
  return { state, versions };
}

/**
 * Keeps `state` current with one watch per Project namespace and kind, calling `onChange` after every event,
 * until `signal` fires. Each watch call lasts at most 5 minutes; a loop of at most 100,000 calls per stream.
 */
export async function watchStatus(client: KubeClient, config: PipelineConfig, state: StatusState, versions: Map<string, string | undefined>, signal: AbortSignal, onChange: () => void): Promise<void> {
  const streams = state.namespaces(config).flatMap((ns) => (['stages', 'freights'] as const).map((plural) => ({ ns, plural })));
  await Promise.all(
    streams.map(async ({ ns, plural }) => {
      const target = plural === 'stages' ? state.stages : state.freight;
      let rv = versions.get(`${plural}/${ns}`);
      for (let call = 0; call < 100_000 && !signal.aborted; call++) {
        const end = await client.watch<Stage & Freight>(kargoPath(plural, ns), { ...(rv === undefined ? {} : { resourceVersion: rv }), timeoutSeconds: 300, signal }, (event) => {
          const map = target.get(ns) ?? new Map();
          target.set(ns, map);
          if (event.type === 'DELETED') map.delete(event.object.metadata.name);
          else map.set(event.object.metadata.name, event.object);
          onChange();
          return false;
        });
        rv = end.resourceVersion;
        if (end.kind === 'aborted') return;
        if (end.kind === 'gone') {
          const list = await client.list<Stage & Freight>(kargoPath(plural, ns));
          target.set(ns, byName(list.items));
          rv = list.metadata.resourceVersion;
          onChange();
        }
      }
    }),
  );
}

const healthColour = (h: string): 'green' | 'yellow' | 'red' | 'dim' => (h === 'Healthy' ? 'green' : h === 'Unhealthy' || h === 'Missing' ? 'red' : h === 'NotApplicable' ? 'dim' : 'yellow');

function since(iso: string | undefined, now: number): string {
  if (iso === undefined) return '';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : ` ${humanDuration(now - t)} ago`;
}

/** The table, padded to the widest cell per column; colour only through `paint`. */
export function formatStatus(report: StatusReport, paint: Painter): string {
  const now = Date.parse(report.at);
  const several = new Set(report.environments.map((e) => e.pipeline)).size > 1;
  const rows = report.environments.map((e) => {
    const last = e.lastPromotion === undefined ? '-' : `${e.lastPromotion.tags.join(', ') || e.lastPromotion.name} ${e.lastPromotion.phase ?? ''}${since(e.lastPromotion.finishedAt, now)}`;
    return {
      env: several ? `${e.pipeline}/${e.env}` : e.env,
      freight: e.exists ? (e.tags.join(', ') || (e.freight?.slice(0, 7) ?? '-')) : '-',
      health: e.health,
      last: last.trim(),
      next: e.next.text + (e.next.at === undefined ? '' : ` (at ${e.next.at.slice(11, 16)} UTC)`),
      mode: e.autoPromotion ? 'auto' : 'manual',
    };
  });
  const head = { env: 'ENV', freight: 'TAG', health: 'HEALTH', last: 'LAST PROMOTION', next: 'NEXT', mode: 'MODE' };
  const cols = ['env', 'freight', 'mode', 'health', 'last', 'next'] as const;
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(head[c].length, ...rows.map((r) => r[c].length))])) as Record<(typeof cols)[number], number>;
  const line = (r: Record<(typeof cols)[number], string>, colour: boolean) =>
    cols
      .map((c, i) => {
        const cell = i === cols.length - 1 ? r[c] : r[c].padEnd(width[c]);
        return colour && c === 'health' ? paint(healthColour(r.health), cell) : cell;
      })
      .join('  ')
      .trimEnd();
  const out = [`context ${report.context} · ${report.at.slice(0, 19).replace('T', ' ')} UTC`, paint('bold', line(head, false)), ...rows.map((r) => line(r, true))];
  const holds = report.environments.flatMap((e) => e.holds.map((h) => ({ e, h })));
  if (holds.length > 0) {
    out.push('', 'Auto-promotion holds');
    for (const { e, h } of holds) {
      out.push(`  ${paint('yellow', '⚠')} ${e.env}: ${h.origin} held at ${h.tags.join(', ') || h.freight}${h.actor === undefined ? '' : ` by ${h.actor}`}${since(h.since, now)}${h.resume === undefined ? '' : `; resume: ${h.resume}`}`);
    }
  }
  return out.join('\n');
}
