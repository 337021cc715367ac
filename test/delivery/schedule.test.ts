/**
 * Local send instants in any IANA zone, daylight saving included: whole- and part-hour
 * offsets, an hour skipped in spring (due when the clocks jump past it), an hour that
 * occurs twice in autumn (due at its first occurrence), a 30-minute DST shift, weekly
 * weekdays, and what "next" means before, during and after a subscriber's send window.
 */
import { describe, expect, it } from 'vitest';
import { isDue, nextSendAt, type Schedule, zoneClock, zonedInstant } from '../../src/delivery/schedule';

const iso = (ms: number | Date) => new Date(ms).toISOString();
const daily = (timeZone: string, sendHour: number): Schedule => ({
  frequency: 'daily',
  sendHour,
  sendWeekday: 1,
  timeZone,
});

describe('zonedInstant', () => {
  it.each([
    ['UTC', '2026-11-26', 8, '2026-11-26T08:00:00.000Z'],
    ['America/New_York', '2026-11-26', 8, '2026-11-26T13:00:00.000Z'],
    ['America/New_York', '2026-07-01', 8, '2026-07-01T12:00:00.000Z'],
    ['Asia/Kolkata', '2026-11-26', 14, '2026-11-26T08:30:00.000Z'],
    ['Asia/Kathmandu', '2026-11-26', 8, '2026-11-26T02:15:00.000Z'],
    ['Pacific/Kiritimati', '2026-11-26', 0, '2026-11-25T10:00:00.000Z'],
    // Spring forward in New York: 02:00-02:59 do not exist; the clocks read 03:00 at 07:00Z.
    ['America/New_York', '2026-03-08', 1, '2026-03-08T06:00:00.000Z'],
    ['America/New_York', '2026-03-08', 2, '2026-03-08T07:00:00.000Z'],
    ['America/New_York', '2026-03-08', 3, '2026-03-08T07:00:00.000Z'],
    ['Europe/London', '2026-03-29', 1, '2026-03-29T01:00:00.000Z'],
    // Fall back in New York: 01:00 happens at 05:00Z (EDT) and again at 06:00Z (EST).
    ['America/New_York', '2026-11-01', 1, '2026-11-01T05:00:00.000Z'],
    ['America/New_York', '2026-11-01', 2, '2026-11-01T07:00:00.000Z'],
    // Lord Howe Island moves its clocks by 30 minutes, from 02:00 to 02:30.
    ['Australia/Lord_Howe', '2026-10-04', 2, '2026-10-03T15:30:00.000Z'],
    ['Australia/Lord_Howe', '2026-10-04', 3, '2026-10-03T16:00:00.000Z'],
  ])('%s %s %i:00 → %s', (zone, date, hour, expected) => {
    expect(iso(zonedInstant(zone, date, hour))).toBe(expected);
  });
});

describe('nextSendAt', () => {
  it('is today’s send hour until the day is planned, then tomorrow’s', () => {
    const at = new Date('2026-11-26T06:00:00.000Z');
    expect(iso(nextSendAt(daily('UTC', 8), at, false))).toBe('2026-11-26T08:00:00.000Z');
    // Past the hour but not planned yet (a new subscriber): today's instant, i.e. due now.
    expect(iso(nextSendAt(daily('UTC', 5), at, false))).toBe('2026-11-26T05:00:00.000Z');
    expect(iso(nextSendAt(daily('UTC', 5), at, true))).toBe('2026-11-27T05:00:00.000Z');
    // Tokyo is already on the 26th at 17:00: the next local day's 08:00 is 23:00Z.
    expect(iso(nextSendAt(daily('Asia/Tokyo', 8), new Date('2026-11-26T08:00:00Z'), true))).toBe(
      '2026-11-26T23:00:00.000Z',
    );
  });

  it('keeps the local send hour across daylight-saving changes', () => {
    // Planned on Saturday 7 March at 08:00 EST (13:00Z); Sunday's 08:00 is EDT (12:00Z).
    const saturday = new Date('2026-03-07T13:00:00.000Z');
    expect(iso(nextSendAt(daily('America/New_York', 8), saturday, true))).toBe('2026-03-08T12:00:00.000Z');
    // And back in November: Saturday 08:00 EDT (12:00Z), Sunday 08:00 EST (13:00Z).
    const autumn = new Date('2026-10-31T12:00:00.000Z');
    expect(iso(nextSendAt(daily('America/New_York', 8), autumn, true))).toBe('2026-11-01T13:00:00.000Z');
    expect(iso(nextSendAt(daily('Europe/Berlin', 7), new Date('2026-03-28T06:00:00Z'), true))).toBe(
      '2026-03-29T05:00:00.000Z',
    );
  });

  it('finds a weekly subscriber’s weekday, this week or the next', () => {
    // Thursday 26 November 2026.
    const at = new Date('2026-11-26T09:00:00.000Z');
    const weekly = (sendWeekday: number, sendHour = 8): Schedule => ({
      frequency: 'weekly',
      sendHour,
      sendWeekday,
      timeZone: 'UTC',
    });
    expect(iso(nextSendAt(weekly(4, 10), at, false))).toBe('2026-11-26T10:00:00.000Z');
    expect(iso(nextSendAt(weekly(4), at, false))).toBe('2026-11-26T08:00:00.000Z');
    expect(iso(nextSendAt(weekly(4), at, true))).toBe('2026-12-03T08:00:00.000Z');
    expect(iso(nextSendAt(weekly(1), at, false))).toBe('2026-11-30T08:00:00.000Z');
    expect(iso(nextSendAt(weekly(3), at, true))).toBe('2026-12-02T08:00:00.000Z');
  });

  it('counts an unknown zone as UTC and always moves past the run when a period is done', () => {
    const at = new Date('2026-11-26T09:00:00.000Z');
    expect(iso(nextSendAt(daily('Not/AZone', 7), at, true))).toBe('2026-11-27T07:00:00.000Z');
    for (const zone of [
      'UTC',
      'Asia/Kolkata',
      'Pacific/Kiritimati',
      'America/Los_Angeles',
      'Pacific/Pago_Pago',
    ]) {
      for (let hour = 0; hour < 24; hour++) {
        expect(nextSendAt(daily(zone, hour), at, true).getTime()).toBeGreaterThan(at.getTime());
      }
    }
  });
});

describe('isDue', () => {
  it('is the local send hour or later, on the weekday for weekly digests', () => {
    const clock = zoneClock('Asia/Kolkata', new Date('2026-11-26T08:30:00.000Z')); // Thu 14:00
    expect(isDue(daily('Asia/Kolkata', 14), clock)).toBe(true);
    expect(isDue(daily('Asia/Kolkata', 15), clock)).toBe(false);
    const weekly = { frequency: 'weekly' as const, sendHour: 9, timeZone: 'Asia/Kolkata' };
    expect(isDue({ ...weekly, sendWeekday: 4 }, clock)).toBe(true);
    expect(isDue({ ...weekly, sendWeekday: 5 }, clock)).toBe(false);
    expect(isDue({ ...weekly, sendWeekday: 5 }, clock, true)).toBe(true);
  });
});
