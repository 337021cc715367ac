/**
 * Time helpers. Everything stored is ISO-8601 UTC; local times (send hour, period keys)
 * are computed with Intl so any IANA zone works without a time-zone database of our own.
 * Times from elsewhere (Resend's webhooks, SQLite's own datetime()) are read here into
 * that one form, because stored times are compared and sorted as text.
 */
export const nowIso = (now: Date = new Date()): string => now.toISOString();

/**
 * A Retry-After header (RFC 9110 10.2.3) in seconds from `now`: delay-seconds (decimal
 * seconds too, as some rate limiters send), or an HTTP-date, one already past being 0.
 * Null when it is neither. Both upstream clients (the ingest's and Resend's) read it here.
 */
export function retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * A time as we store it or as others write it: ISO 8601 (ours: `2026-05-07T08:00:00.000Z`),
 * SQLite's `YYYY-MM-DD HH:MM:SS[.fff]` (UTC, from datetime() or an import), or with a
 * Postgres-style short offset and more digits (Resend's `2026-05-07 08:00:00.123456+00`).
 * Epoch ms, or null when it is none of them.
 */
const TIME = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

export function parseStoredTime(value: string): number | null {
  const match = TIME.exec(value.trim());
  if (!match) return null;
  const [, date, time, fraction = '', zone = 'Z'] = match;
  // "+00" and "+0530" as RFC 3339's "+00:00" and "+05:30".
  const offset = /^z$/i.test(zone)
    ? 'Z'
    : zone.length === 3
      ? `${zone}:00`
      : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(
    `${date}T${time}${fraction ? `.${fraction.slice(0, 3).padEnd(3, '0')}` : ''}${offset}`,
  );
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A time from elsewhere in the stored form (nowIso's), or null when it is no time: stored
 * times are compared and sorted as text, where `2026-05-07 09:00:00` sorts before
 * `2026-05-07T08:00:00.000Z` and an offset is not read at all.
 */
export function toStoredTime(value: string | null | undefined): string | null {
  const ms = value == null ? null : parseStoredTime(value);
  return ms === null ? null : nowIso(new Date(ms));
}

export function isValidTimeZone(timeZone: string): boolean {
  if (!timeZone || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
    return true;
  } catch {
    return false;
  }
}

export interface LocalTime {
  date: string; // YYYY-MM-DD
  hour: number; // 0-23
  weekday: number; // 0 = Sunday
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One Intl formatter per zone and shape: building one costs far more than using it. */
function formatter(timeZone: string, shape: 'day' | 'clock'): Intl.DateTimeFormat {
  const key = `${shape} ${timeZone}`;
  let cached = formatters.get(key);
  if (!cached) {
    cached = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      ...(shape === 'day' ? { weekday: 'short' } : { minute: '2-digit', second: '2-digit' }),
    });
    formatters.set(key, cached);
  }
  return cached;
}

export function localTime(at: Date, timeZone: string): LocalTime {
  const parts = Object.fromEntries(
    formatter(timeZone, 'day')
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour) % 24,
    weekday: weekdays.indexOf(parts.weekday ?? 'Sun'),
  };
}

/** The zone's wall-clock time at `instant` (epoch ms), as epoch ms of the same digits read as UTC. */
export function wallClockMs(timeZone: string, instant: number): number {
  const part: Record<string, number> = {};
  for (const { type, value } of formatter(timeZone, 'clock').formatToParts(instant))
    part[type] = Number(value);
  return Date.UTC(part.year!, part.month! - 1, part.day!, part.hour! % 24, part.minute!, part.second!);
}

/** ISO week key (e.g. 2026-W48) of a YYYY-MM-DD calendar date. */
export function isoWeekKey(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const weekday = (day.getUTCDay() + 6) % 7; // Monday = 0
  day.setUTCDate(day.getUTCDate() - weekday + 3); // Thursday of this week decides the year
  const firstThursday = new Date(Date.UTC(day.getUTCFullYear(), 0, 4));
  const daysSince = (day.getTime() - firstThursday.getTime()) / 86_400_000;
  const week = 1 + Math.round((daysSince - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function utcDate(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return utcDate(day);
}
