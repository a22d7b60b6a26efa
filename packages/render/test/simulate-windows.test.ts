// Deployment windows as the simulator reads them: time zones, hours past midnight, yearly dates, deny over allow.
import type { DeploymentWindow } from '@kargo/model';
import { describe, expect, it } from 'vitest';
import { blockingWindows, nextSyncTime, syncAllowed, windowActive } from '../src/index.ts';

const at = (iso: string): number => Date.parse(iso);
const YEAR_MS = 366 * 24 * 3600 * 1000;

const office: DeploymentWindow = { name: 'office', kind: 'allow', timezone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: { start: '09:00', end: '17:00' }, dates: [] };
const nights: DeploymentWindow = { name: 'nights', kind: 'deny', timezone: 'UTC', days: ['fri'], hours: { start: '22:00', end: '06:00' }, dates: [] };
const newYear: DeploymentWindow = { name: 'new-year', kind: 'deny', timezone: 'UTC', days: [], dates: ['2026-01-01'], };

describe('deployment windows', () => {
  it('evaluates hours in the window time zone, across daylight saving time', () => {
    expect(windowActive(office, at('2026-01-05T08:00:00Z'))).toBe(true); // 09:00 CET
    expect(windowActive(office, at('2026-01-05T07:59:00Z'))).toBe(false);
    expect(windowActive(office, at('2026-07-06T07:00:00Z'))).toBe(true); // 09:00 CEST
    expect(windowActive(office, at('2026-01-10T10:00:00Z'))).toBe(false); // Saturday
  });

  it('hours past midnight belong to the listed day and run into the next', () => {
    expect(windowActive(nights, at('2026-01-09T23:00:00Z'))).toBe(true); // Friday night
    expect(windowActive(nights, at('2026-01-10T05:59:00Z'))).toBe(true); // Saturday early, opened Friday
    expect(windowActive(nights, at('2026-01-10T06:00:00Z'))).toBe(false);
    expect(windowActive(nights, at('2026-01-08T23:00:00Z'))).toBe(false); // Thursday night
  });

  it('dates recur every year, as Argo CD sync windows have no year', () => {
    expect(windowActive(newYear, at('2026-01-01T12:00:00Z'))).toBe(true);
    expect(windowActive(newYear, at('2027-01-01T00:00:00Z'))).toBe(true);
    expect(windowActive(newYear, at('2027-01-02T00:00:00Z'))).toBe(false);
  });

  it('deny wins over allow; with allow windows a sync needs one open', () => {
    const friday = at('2026-01-09T16:00:00Z'); // 17:00 Berlin: office just closed
    expect(syncAllowed([office], friday)).toBe(false);
    expect(blockingWindows([office], friday)).toEqual(['office']);
    expect(syncAllowed([], friday)).toBe(true);
    const denyAll: DeploymentWindow = { ...office, name: 'freeze', kind: 'deny', hours: undefined, days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] };
    expect(syncAllowed([office, denyAll], at('2026-01-05T10:00:00Z'))).toBe(false);
    expect(blockingWindows([office, denyAll], at('2026-01-05T10:00:00Z'))).toEqual(['freeze']);
  });

  it('finds the next opening (Friday evening → Monday 09:00 Berlin) or none within the limit', () => {
    const from = at('2026-01-09T16:30:00Z');
    expect(nextSyncTime([office, nights], from, from + YEAR_MS)).toBe(at('2026-01-12T08:00:00Z'));
    expect(nextSyncTime([office], at('2026-01-05T10:00:00Z'), at('2026-01-06T00:00:00Z'))).toBe(at('2026-01-05T10:00:00Z'));
    const denyAll: DeploymentWindow = { ...nights, hours: undefined, days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] };
    expect(nextSyncTime([denyAll], from, from + YEAR_MS)).toBeUndefined();
  });
});
