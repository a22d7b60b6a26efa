// Deployment windows of the pipeline config → Argo CD sync windows (cron start + duration).
import type { DeploymentWindow } from '@kargo/model';
import type { SyncWindow } from './constructs/pipeline-app-project.ts';

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
