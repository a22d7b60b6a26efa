// Go-style durations as Kargo's CRDs accept them (`30m`, `1h30m`, `1.5h`).

/** The pattern Kargo's Stage CRD puts on `requiredSoakTime`. */
export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(s|m|h))+$/;

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** `'1h30m'` → 5400. Returns `undefined` for anything Kargo would reject, so callers decide how to report it. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let seconds = 0;
  for (const match of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(s|m|h)/g)) {
    seconds += Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  }
  return seconds;
}

/** 5400 → `'1h30m'`; the shortest Go-style spelling of whole seconds. */
export function formatDuration(totalSeconds: number): string {
  const whole = Math.max(0, Math.round(totalSeconds));
  if (whole === 0) return '0s';
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}
