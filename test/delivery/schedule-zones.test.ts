/**
 * The schedule's guarantee, checked zone by zone without D1: the planner's decisions
 * (plan-step.ts) replayed run by run with the same functions, for every send hour, daily
 * and weekly, around each daylight-saving change of 2026 and 2027 in a set of zones chosen
 * for their oddities (part-hour offsets, 30-minute and 2-hour shifts, changes at midnight,
 * a gap that swallows the end of a day, Samoa's skipped day). Each subscriber must get
 * exactly one digest per local day (or per week, on its weekday), planned by the first run
 * at or after the first instant the local clock reads the send hour that day, and each run
 * must move their next send instant past itself.
 */
import { describe, expect, it } from 'vitest';
import {
  isDue,
  missedPeriod,
  nextSendAt,
  periodKey,
  type Schedule,
  zoneClock,
  zonedInstant,
} from '../../src/delivery/schedule';
import { addDays, isoWeekKey, localTime, wallClockMs } from '../../src/lib/time';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

interface Plan {
  period: string;
  at: number;
}

/**
 * One subscriber through the runs of a cron every `cadence` ms from `start` to `end`, as
 * plan-step.ts treats them: read when their stored instant has come, planned if due by the
 * clock or in a missed period, then given their next instant (never at or before the run).
 * Runs that would not read them are skipped over.
 */
function simulate(schedule: Schedule, start: number, end: number, cadence: number): Plan[] {
  let stored = '';
  const plans: Plan[] = [];
  const planned = new Set<string>();
  let at = start;
  while (at < end) {
    if (stored <= iso(at)) {
      const clock = zoneClock(schedule.timeZone, new Date(at));
      const current = isDue(schedule, clock);
      const period = current ? periodKey(schedule, clock) : missedPeriod(schedule, stored, new Date(at));
      if (period && !planned.has(period)) {
        planned.add(period);
        plans.push({ period, at });
      }
      const instant = nextSendAt(schedule, new Date(at), current).getTime();
      // A period done must move the instant past the run on its own: plan-step's one-hour
      // fallback would otherwise read the subscriber again within the same period.
      if (current && instant <= at) {
        throw new Error(`${schedule.timeZone} ${schedule.sendHour}:00: next ${iso(instant)} at ${iso(at)}`);
      }
      stored = iso(instant > at ? instant : at + HOUR);
    }
    at = Math.max(at + cadence, Math.ceil(Date.parse(stored) / cadence) * cadence);
  }
  return plans;
}

/** Days (UTC noon) in [from, to) on which the zone's offset differs from the day before. */
function transitions(zone: string, from: number, to: number): number[] {
  const offset = (at: number) => wallClockMs(zone, at) - at;
  const days: number[] = [];
  for (let day = from; day < to; day += DAY) if (offset(day) !== offset(day - DAY)) days.push(day);
  return days;
}

/** Local dates from `first` to `last` that the zone's clock shows at all (Samoa skipped one). */
function localDates(zone: string, first: string, last: string): string[] {
  const dates: string[] = [];
  for (let date = first; date <= last; date = addDays(date, 1)) {
    if (localTime(new Date(zonedInstant(zone, date, 0)), zone).date === date) dates.push(date);
  }
  return dates;
}

const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

/**
 * Replays a schedule over [start, end) and checks the periods whose local dates lie well
 * inside it: each planned once, none skipped, each by the first run at or after its send
 * instant, on its own local date (or, when a gap swallowed the send hour and the rest of the
 * day, at the jump that ended it).
 */
function check(schedule: Schedule, start: number, end: number, cadence: number) {
  const zone = schedule.timeZone;
  const plans = simulate(schedule, start, end, cadence);
  const dates = localDates(
    zone,
    addDays(localTime(new Date(start), zone).date, 2),
    addDays(localTime(new Date(end), zone).date, -2),
  ).filter((date) => schedule.frequency === 'daily' || weekday(date) === schedule.sendWeekday);
  const byPeriod = new Map(
    dates.map((date) => [schedule.frequency === 'daily' ? date : isoWeekKey(date), date]),
  );
  const label = `${zone} ${schedule.frequency} ${schedule.sendWeekday} ${schedule.sendHour}:00 every ${cadence / 60_000} min`;
  const inRange = plans.filter((plan) => byPeriod.has(plan.period));
  expect(
    inRange.map((plan) => plan.period),
    label,
  ).toEqual([...byPeriod.keys()]);
  for (const plan of inRange) {
    const date = byPeriod.get(plan.period)!;
    const instant = zonedInstant(zone, date, schedule.sendHour);
    const where = `${label}: ${plan.period} planned at ${iso(plan.at)}`;
    expect(plan.at, where).toBe(Math.ceil(instant / cadence) * cadence);
    const local = localTime(new Date(plan.at), zone);
    const swallowed = plan.at === instant && localTime(new Date(instant - 1), zone).date === date;
    expect(local.date === date || swallowed, where).toBe(true);
  }
}

const schedules = (timeZone: string, weekdays: number[]): Schedule[] =>
  Array.from({ length: 24 }, (_, sendHour) => [
    { frequency: 'daily' as const, sendHour, sendWeekday: 1, timeZone },
    ...weekdays.map((sendWeekday) => ({ frequency: 'weekly' as const, sendHour, sendWeekday, timeZone })),
  ]).flat();

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'America/Santiago',
  'America/Havana',
  'America/St_Johns',
  'America/Nuuk',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tehran',
  'Asia/Gaza',
  'Australia/Lord_Howe',
  'Australia/Eucla',
  'Pacific/Chatham',
  'Pacific/Apia',
  'Pacific/Kiritimati',
  'Africa/Casablanca',
  'Africa/Cairo',
  'Antarctica/Troll',
];
/** Zones whose offset is not a whole hour also get runs every 30 minutes (daily digests). */
const PART_HOUR = new Set([
  'America/St_Johns',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tehran',
  'Australia/Lord_Howe',
  'Australia/Eucla',
  'Pacific/Chatham',
]);

describe('the schedule in every kind of zone', () => {
  it.each(ZONES)('%s: one digest per period, at the first run at or after the send hour', (zone) => {
    const changes = transitions(zone, Date.UTC(2026, 0, 1, 12), Date.UTC(2028, 0, 1, 12));
    // A zone without changes still gets an ordinary week checked.
    const days = changes.length > 0 ? changes : [Date.UTC(2026, 5, 10, 12)];
    for (const day of days) {
      // Weekly: the weekday of the change, a week either side.
      for (const schedule of schedules(zone, [localTime(new Date(day), zone).weekday])) {
        const daily = schedule.frequency === 'daily';
        const span = daily ? 3 * DAY : 9 * DAY;
        for (const cadence of daily && PART_HOUR.has(zone) ? [HOUR, HOUR / 2] : [HOUR]) {
          check(schedule, day - span, day + span, cadence);
        }
      }
    }
  });

  it('Samoa’s skipped 30 December 2011: one digest a day, none for the day that never was', () => {
    const day = Date.UTC(2011, 11, 30, 12);
    for (const schedule of schedules('Pacific/Apia', [4, 6])) {
      check(schedule, day - 10 * DAY, day + 10 * DAY, HOUR);
    }
  });
});

describe('missedPeriod', () => {
  it('plans the day whose send hour a spring-forward gap swallowed with the rest of the day', () => {
    // America/Nuuk (-02) follows the EU's 01:00 UTC change: Saturday 28 March 2026 ends at
    // 23:00, when the clocks jump to Sunday 00:00 (-01). A 23:00 digest is due at the jump.
    const jump = new Date('2026-03-29T01:00:00.000Z');
    const nuuk = { sendHour: 23, timeZone: 'America/Nuuk' };
    expect(zonedInstant('America/Nuuk', '2026-03-28', 23)).toBe(jump.getTime());
    expect(missedPeriod({ ...nuuk, frequency: 'daily', sendWeekday: 1 }, jump.toISOString(), jump)).toBe(
      '2026-03-28',
    );
    expect(missedPeriod({ ...nuuk, frequency: 'weekly', sendWeekday: 6 }, jump.toISOString(), jump)).toBe(
      '2026-W13',
    );
    // Not a Sunday digest, and not in Samoa, where 30 December 2011 never happened.
    expect(
      missedPeriod({ ...nuuk, frequency: 'weekly', sendWeekday: 0 }, jump.toISOString(), jump),
    ).toBeNull();
    const samoa = new Date('2011-12-30T10:00:00.000Z');
    expect(
      missedPeriod(
        { frequency: 'daily', sendHour: 8, sendWeekday: 1, timeZone: 'Pacific/Apia' },
        samoa.toISOString(),
        samoa,
      ),
    ).toBeNull();
  });
});
