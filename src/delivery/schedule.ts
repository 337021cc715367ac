/**
 * When a subscriber's digest is due, in their own IANA time zone. A daily digest is due
 * from its send hour until the end of the local day (a missed hourly run still counts later
 * the same day); a weekly one likewise on its weekday. The planner keeps each subscriber's
 * next possible send instant (`next_send_at`, UTC, indexed) so it reads only who may be due
 * now, and re-checks the local clock for each of them here. `nextSendAt` is computed with
 * Intl, so daylight-saving changes land where the zone puts them: a send hour inside a
 * spring-forward gap is due when the clocks jump past it (even when the jump lands on the
 * next day), a send hour that occurs twice in the autumn is due at its first occurrence. A
 * run cut short (superseded by a newer one, or a failed step) leaves subscribers whose
 * instant passed in a period that has since ended: the next run still plans that period for
 * them, if it is at most a few hours late (`missedPeriod`).
 */
import type { Frequency } from '../domain';
import { addDays, isoWeekKey, isValidTimeZone, localTime, wallClockMs } from '../lib/time';

/** What the planner needs of a subscriber to schedule them. */
export interface Schedule {
  frequency: Frequency;
  sendHour: number;
  /** Weekly digests: 0 = Sunday. */
  sendWeekday: number;
  timeZone: string;
}

/** Local calendar facts of one zone at the planner's time. */
export interface ZoneClock {
  date: string;
  hour: number;
  weekday: number;
  week: string;
}

/** An unknown zone (stored before validation existed, say) counts as UTC. */
export const effectiveZone = (timeZone: string): string => (isValidTimeZone(timeZone) ? timeZone : 'UTC');

export function zoneClock(timeZone: string, at: Date): ZoneClock {
  const local = localTime(at, effectiveZone(timeZone));
  return { date: local.date, hour: local.hour, weekday: local.weekday, week: isoWeekKey(local.date) };
}

/** The period a digest at this local time belongs to: the local day, or the ISO week. */
export function periodKey(schedule: Schedule, clock: ZoneClock): string {
  return schedule.frequency === 'weekly' ? clock.week : clock.date;
}

/** Due now by the clock (`all` ignores hour and weekday); whether its period was planned is the caller's. */
export function isDue(schedule: Schedule, clock: ZoneClock, all = false): boolean {
  if (all) return true;
  return (
    clock.hour >= schedule.sendHour &&
    (schedule.frequency === 'daily' || clock.weekday === schedule.sendWeekday)
  );
}

const HOUR = 3_600_000;

/**
 * How late a run may still plan a period whose send instant it missed. A run cut short is
 * taken over by the next hourly run, so a few failed or superseded hours still deliver the
 * day; after a longer outage yesterday's digest would land well into today, next to today's,
 * so that period is skipped rather than sent that late.
 */
export const LATE_PLANNING_HOURS = 6;

/**
 * The period a subscriber was due in and missed: their stored next send instant passed at
 * most LATE_PLANNING_HOURS before `at`, and their clock read due then (or the instant was
 * the end of a gap that swallowed the send hour and the rest of that day). Null for a
 * subscriber nobody scheduled yet (''), or an instant too old.
 */
export function missedPeriod(schedule: Schedule, nextSendAt: string, at: Date): string | null {
  const missed = Date.parse(nextSendAt);
  if (Number.isNaN(missed) || missed > at.getTime() || at.getTime() - missed > LATE_PLANNING_HOURS * HOUR) {
    return null;
  }
  const clock = zoneClock(schedule.timeZone, new Date(missed));
  if (isDue(schedule, clock)) return periodKey(schedule, clock);
  // A send hour inside a spring-forward gap that ends the local day (America/Nuuk jumps from
  // Saturday 23:00 to Sunday 00:00) is due at the jump, which the clock already reads as the
  // next day: the period is the day the gap ended, if that day's send instant was this one.
  const before = zoneClock(schedule.timeZone, new Date(missed - 1));
  const swallowed =
    before.date !== clock.date &&
    zonedInstant(effectiveZone(schedule.timeZone), before.date, schedule.sendHour) === missed &&
    (schedule.frequency === 'daily' || before.weekday === schedule.sendWeekday);
  return swallowed ? periodKey(schedule, before) : null;
}

/**
 * The first instant at which the zone's clock reads `date` `hour`:00 or later: the usual
 * conversion, the first of the two instants in an autumn overlap, and the end of the gap
 * when the hour is skipped in spring.
 */
export function zonedInstant(timeZone: string, date: string, hour: number): number {
  const target = Date.parse(`${date}T00:00:00Z`) + hour * HOUR;
  // Candidates from the offsets in force around the target (zones change at most once a day).
  const offsets = new Set(
    [target - 36 * HOUR, target, target + 36 * HOUR].map((probe) => wallClockMs(timeZone, probe) - probe),
  );
  let best = Number.POSITIVE_INFINITY;
  for (const offset of offsets) {
    const candidate = target - offset;
    if (wallClockMs(timeZone, candidate) >= target && candidate < best) best = candidate;
  }
  // In a spring-forward gap the candidate overshoots: walk back to the jump, a minute at a time.
  let step = 30 * 60_000;
  while (step >= 60_000) {
    if (wallClockMs(timeZone, best - step) >= target) best -= step;
    else step /= 2;
  }
  return best;
}

/**
 * The earliest instant, strictly after `at`, at which a planner run may find the subscriber
 * due, given that the period containing `at` is done (planned now, or earlier) when
 * `periodDone` is true. With `periodDone` false and the send hour already past today
 * (a new subscriber, a changed preference) the answer is today's send instant, which is
 * not after `at`: due at once, as a missed hour is.
 */
export function nextSendAt(schedule: Schedule, at: Date, periodDone: boolean): Date {
  const zone = effectiveZone(schedule.timeZone);
  const clock = zoneClock(zone, at);
  if (schedule.frequency === 'daily') {
    const date = periodDone ? addDays(clock.date, 1) : clock.date;
    return new Date(zonedInstant(zone, date, schedule.sendHour));
  }
  // Weekly: this week's weekday if it is today and still open, else the next one.
  const ahead = (schedule.sendWeekday - clock.weekday + 7) % 7;
  const thisWeek = ahead === 0 && !periodDone;
  const date = addDays(clock.date, thisWeek ? 0 : ahead === 0 ? 7 : ahead);
  return new Date(zonedInstant(zone, date, schedule.sendHour));
}
