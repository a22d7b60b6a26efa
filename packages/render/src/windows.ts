// Deployment windows of the pipeline config → Argo CD sync windows (cron start + duration).
import type { DeploymentWindow } from '@kargo/model';
import type { SyncWindow } from './constructs/pipeline-app-project.ts';
import { localTime, minutesToBoundary, nextSyncTime, syncAllowed } from './simulate/windows.ts';

const CRON_DAY = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } as const;

function minutes(hhmm: string): number {
  const [h = '0', m = '0'] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function duration(total: number): string {
  const h = Math.floor(total / 60);
  const m = total % 60;
  return h > 0 && m > 0 ? `${h}h${m}m` : h > 0 ? `${h}h` : `${m}m`;
}

/**
 * Compiles windows into sync windows for `applications`. Weekdays become the cron day-of-week field;
 * `hours` the start time and length (wrapping past midnight); each date a window of its own (Argo CD
 * has no year field, so a date recurs yearly).
 */
export function compileSyncWindows(windows: readonly DeploymentWindow[], applications: readonly string[]): SyncWindow[] {
  const out: SyncWindow[] = [];
  for (const w of windows) {
    const start = w.hours === undefined ? 0 : minutes(w.hours.start);
    const end = w.hours === undefined ? 24 * 60 : minutes(w.hours.end);
    const length = end > start ? end - start : end + 24 * 60 - start;
    const at = `${start % 60} ${Math.floor(start / 60)}`;
    const common = { kind: w.kind, duration: duration(length), applications: [...applications], timeZone: w.timezone, description: w.name };
    if (w.dates.length > 0) {
      for (const date of w.dates) {
        const [, month = '1', day = '1'] = date.split('-');
        out.push({ ...common, schedule: `${at} ${Number(day)} ${Number(month)} *` });
      }
    } else {
      const days = [...new Set(w.days.map((d) => CRON_DAY[d]))].sort((a, b) => a - b);
      out.push({ ...common, schedule: `${at} * * ${days.length === 7 ? '*' : days.join(',')}` });
    }
  }
  return out;
}

/** Where the search for the longest closed stretch starts: a fixed instant, so renders are reproducible. */
const STRETCH_FROM_MS = Date.UTC(2026, 0, 1);
/** A year and a week: every weekday of every date, dates recurring yearly, both DST changes. */
const STRETCH_SPAN_MS = 373 * 24 * 3_600_000;
/** What a sync needs after its window opens: Argo CD's own work and Kargo seeing the result. */
const SYNC_MARGIN_MINUTES = 30;

/**
 * The longest time, in minutes, `windows` keep Argo CD from syncing, over a year (a deny date recurs yearly;
 * weekday windows repeat weekly; DST shifts are covered). 0 without windows; `undefined` when a closed stretch
 * never ends (the windows never open). Walks from one window boundary to the next, so it is cheap.
 */
export function longestClosedStretchMinutes(windows: readonly DeploymentWindow[]): number | undefined {
  if (windows.length === 0) return 0;
  const zones = new Map<string, DeploymentWindow[]>();
  for (const w of windows) zones.set(w.timezone, [...(zones.get(w.timezone) ?? []), w]);
  const end = STRETCH_FROM_MS + STRETCH_SPAN_MS;
  let longest = 0;
  let t = STRETCH_FROM_MS;
  // Each jump reaches the next boundary of some zone (at most a day away), so this bounds the walk.
  for (let step = 0; step < 373 * (4 * windows.length + 4) && t < end; step++) {
    if (!syncAllowed(windows, t)) {
      const open = nextSyncTime(windows, t, t + 2 * STRETCH_SPAN_MS);
      if (open === undefined) return undefined;
      longest = Math.max(longest, (open - t) / 60_000);
      t = open;
      continue;
    }
    let jump = 24 * 60;
    for (const [zone, list] of zones) jump = Math.min(jump, minutesToBoundary(list, localTime(t, zone).minute));
    t += jump * 60_000;
  }
  return longest;
}

/**
 * The `retry.timeout` an environment's `argocd-update` needs so a promotion arriving while its windows are
 * closed waits for them to open instead of failing after Kargo's default 5 minutes: the longest closed stretch
 * (from {@link longestClosedStretchMinutes}) plus a margin, as a Go duration (`64h30m`). `undefined` for 0 (no
 * windows, or windows that never close): Kargo's default is right then.
 */
export function windowSyncTimeout(longestClosedMinutes: number): string | undefined {
  if (longestClosedMinutes <= 0) return undefined;
  const total = Math.ceil(longestClosedMinutes) + SYNC_MARGIN_MINUTES;
  const h = Math.floor(total / 60);
  const m = total % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 || h === 0 ? `${m}m` : ''}`;
}
