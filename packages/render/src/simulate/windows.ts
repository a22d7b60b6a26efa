// When a deployment window lets Argo CD sync: the same reading of days/hours/dates as compileSyncWindows
// (hours may wrap past midnight; dates recur yearly), evaluated in each window's own time zone.
import type { DeploymentWindow, Weekday } from '@kargo/model';

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;
const WEEKDAY_BY_SHORT: Readonly<Record<string, Weekday>> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };
const WEEKDAY_BY_INDEX: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: Weekday;
  /** Minutes since local midnight. */
  readonly minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) parts[p.type] = p.value;
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    weekday: WEEKDAY_BY_SHORT[parts['weekday'] ?? ''] ?? 'mon',
    minute: (Number(parts['hour']) % 24) * 60 + Number(parts['minute']),
  };
}

function hhmm(text: string): number {
  const [h = '0', m = '0'] = text.split(':');
  return Number(h) * 60 + Number(m);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function matchesDay(window: DeploymentWindow, year: number, month: number, day: number): boolean {
  if (window.dates.length > 0) {
    // Argo CD sync windows have no year field, so a date applies every year (as render compiles it).
    const monthDay = `${pad(month)}-${pad(day)}`;
    return window.dates.some((d) => d.slice(5) === monthDay);
  }
  const weekday = WEEKDAY_BY_INDEX[new Date(Date.UTC(year, month - 1, day)).getUTCDay()] ?? 'mon';
  return window.days.includes(weekday);
}

/** Is the window in force at `ms` (epoch milliseconds)? */
export function windowActive(window: DeploymentWindow, ms: number): boolean {
  const t = localTime(ms, window.timezone);
  const today = matchesDay(window, t.year, t.month, t.day);
  if (window.hours === undefined) return today;
  const start = hhmm(window.hours.start);
  const end = hhmm(window.hours.end);
  if (end > start) return today && t.minute >= start && t.minute < end;
  // Wraps past midnight: opened today after `start`, or opened yesterday and not yet closed.
  const y = new Date(Date.UTC(t.year, t.month - 1, t.day - 1));
  const yesterday = matchesDay(window, y.getUTCFullYear(), y.getUTCMonth() + 1, y.getUTCDate());
  return (today && t.minute >= start) || (yesterday && t.minute < end);
}

/**
 * Argo CD's rule: an active deny window blocks a sync; when any allow window exists, a sync also needs one
 * of them active; no windows, no restriction.
 */
export function syncAllowed(windows: readonly DeploymentWindow[], ms: number): boolean {
  if (windows.some((w) => w.kind === 'deny' && windowActive(w, ms))) return false;
  const allows = windows.filter((w) => w.kind === 'allow');
  return allows.length === 0 || allows.some((w) => windowActive(w, ms));
}

/** The windows that keep a sync from happening at `ms` (active denies, or every allow when none is open). */
export function blockingWindows(windows: readonly DeploymentWindow[], ms: number): string[] {
  const denies = windows.filter((w) => w.kind === 'deny' && windowActive(w, ms)).map((w) => w.name);
  if (denies.length > 0) return denies;
  const allows = windows.filter((w) => w.kind === 'allow');
  return allows.length > 0 && !allows.some((w) => windowActive(w, ms)) ? allows.map((w) => w.name) : [];
}

/** Minutes from local minute `m` to the next local minute where some window of this zone may change state. */
export function minutesToBoundary(windowsInZone: readonly DeploymentWindow[], m: number): number {
  let next = DAY_MINUTES - m; // midnight: the day (and so days/dates) changes
  for (const w of windowsInZone) {
    if (w.hours === undefined) continue;
    for (const b of [hhmm(w.hours.start), hhmm(w.hours.end) % DAY_MINUTES]) {
      const delta = b > m ? b - m : b + DAY_MINUTES - m;
      if (delta < next) next = delta;
    }
  }
  return Math.max(1, next);
}

/**
 * The first moment at or after `fromMs` when `windows` allow a sync, or `undefined` if none comes before
 * `limitMs`. Jumps from one window boundary to the next instead of scanning minutes, so a year is cheap.
 */
export function nextSyncTime(windows: readonly DeploymentWindow[], fromMs: number, limitMs: number): number | undefined {
  if (syncAllowed(windows, fromMs)) return fromMs;
  const zones = new Map<string, DeploymentWindow[]>();
  for (const w of windows) zones.set(w.timezone, [...(zones.get(w.timezone) ?? []), w]);
  let t = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
  // Each step reaches at least the next midnight of some zone, so 4 steps a day per window is a safe bound.
  const maxSteps = Math.ceil((limitMs - fromMs) / (DAY_MINUTES * MINUTE_MS) + 1) * (4 * windows.length + 4);
  for (let step = 0; step < maxSteps && t <= limitMs; step++) {
    let jump = DAY_MINUTES;
    for (const [zone, list] of zones) jump = Math.min(jump, minutesToBoundary(list, localTime(t, zone).minute));
    t += jump * MINUTE_MS;
    if (t > limitMs) return undefined;
    if (syncAllowed(windows, t)) return t;
  }
  return undefined;
}
