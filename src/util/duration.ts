/**
 * Durations as people type and read them: `8h`, `90m`, `1h30m`, `45s` or plain seconds in; "1 h 5 min" (messages) or
 * "1h05m" (the progress bar's ETA) out.
 */

const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };
const DURATION = /^(?:(\d+(?:\.\d+)?)([dhms]))+$/;

/** Seconds of a duration such as `8h`, `1h30m`, `90m`, `45s` or `3600`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, '');
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t);
  if (!DURATION.test(t)) return undefined;
  let seconds = 0;
  for (const [, value, unit] of t.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) seconds += Number(value) * UNIT_SECONDS[unit];
  return seconds;
}

/** "2 h 5 min", "12 min", "40 s": for messages. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  // Round once, to whole minutes, so 7 h 59.8 min reads "8 h 0 min" rather than "7 h 60 min".
  const minutes = Math.round(seconds / 60);
  const h = Math.floor(minutes / 60);
  return h > 0 ? `${h} h ${minutes % 60} min` : `${minutes} min`;
}

/** "2h05m", "3m07s", "40s": compact, for a progress bar. */
export function formatClock(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
