/**
 * The sign-up and preferences schemas: email normalisation (and everything it refuses),
 * interest caps, coercion of form strings and per-field messages.
 */
import { describe, expect, it } from 'vitest';
import { MAX_INTERESTS, parseInterests } from '../../src/subscriptions/interests';
import {
  fieldErrors,
  normalizeEmail,
  parseSubmission,
  preferencesSchema,
  requestedSettings,
  subscribeSchema,
} from '../../src/subscriptions/schema';

describe('normalizeEmail', () => {
  it('trims and lower-cases the domain only', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('Ada.Lovelace@example.com');
    expect(normalizeEmail('a+tag@sub.example.org')).toBe('a+tag@sub.example.org');
  });

  it('punycodes internationalised domains and is idempotent', () => {
    const once = normalizeEmail('user@Bücher.example');
    expect(once).toBe('user@xn--bcher-kva.example');
    expect(normalizeEmail(once!)).toBe(once);
  });

  it.each([
    '',
    'plainaddress',
    '@example.com',
    'user@',
    'user@localhost',
    'user@example',
    'a b@example.com',
    'user@exa mple.com',
    'user@example.com\r\nBcc: victim@example.com',
    'user@example.com\n',
    'Name <user@example.com>',
    'a@example.com, b@example.com',
    'user..dots@example.com',
    '.user@example.com',
    'user@-example.com',
    'user@example.c',
    'user@example.com/path',
    `${'a'.repeat(65)}@example.com`,
    `a@${'b'.repeat(250)}.com`,
  ])('refuses %j', (input) => {
    expect(normalizeEmail(input)).toBeNull();
  });
});

describe('subscribeSchema', () => {
  it('applies defaults and coerces form strings', () => {
    const result = subscribeSchema.parse({ email: 'x@Example.com', send_hour: '07', time_zone: 'utc' });
    expect(result).toEqual({
      email: 'x@example.com',
      interests: '',
      frequency: 'daily',
      send_hour: 7,
      time_zone: 'UTC',
      send_weekday: 1,
    });
  });

  it("reads send_weekday as the preferences do, with the preferences' message", () => {
    for (const [given, day] of [
      ['5', 5],
      [0, 0],
      [' 6 ', 6],
      ['', 1],
    ] as const) {
      expect(subscribeSchema.parse({ email: 'x@example.com', send_weekday: given }).send_weekday).toBe(day);
    }
    for (const bad of ['8', 8, 'funday', -1, '-1', 2.5, '2.5', true]) {
      const signup = subscribeSchema.safeParse({ email: 'x@example.com', send_weekday: bad });
      const preferences = preferencesSchema.safeParse({ send_weekday: bad });
      expect(fieldErrors(signup.error!), String(bad)).toEqual({
        send_weekday: ['Choose a day of the week.'],
      });
      expect(fieldErrors(preferences.error!)).toEqual(fieldErrors(signup.error!));
    }
  });

  it('counts send_weekday as asked for only when given', () => {
    const fields = { email: 'x@example.com', send_weekday: '' };
    expect(requestedSettings(fields, subscribeSchema.parse(fields))).toEqual({});
    const friday = { email: 'x@example.com', send_weekday: '5' };
    expect(requestedSettings(friday, subscribeSchema.parse(friday))).toEqual({ sendWeekday: 5 });
  });

  it('accepts interests as an array from JSON', () => {
    const result = subscribeSchema.parse({ email: 'x@example.com', interests: ['RLHF', 'cs.CL'] });
    expect(result.interests).toBe('RLHF; cs.CL');
  });

  it('reports every bad field with a message', () => {
    const result = subscribeSchema.safeParse({
      email: 'nope',
      interests: 'x'.repeat(10_000),
      frequency: 'hourly',
      send_hour: '24',
      time_zone: 'Mars/Olympus',
    });
    expect(result.success).toBe(false);
    const fields = fieldErrors(result.error!);
    expect(Object.keys(fields).sort()).toEqual(['email', 'frequency', 'interests', 'send_hour', 'time_zone']);
    expect(fields.interests![0]).toMatch(/2,000 characters or fewer \(you entered 10,000\)/);
  });

  it('caps the number and length of interests', () => {
    const many = Array.from({ length: MAX_INTERESTS + 1 }, (_, index) => `topic ${index}`).join(', ');
    expect(subscribeSchema.safeParse({ email: 'x@example.com', interests: many }).success).toBe(false);
    expect(subscribeSchema.safeParse({ email: 'x@example.com', interests: 'y'.repeat(101) }).success).toBe(
      false,
    );
  });

  // workerd's Intl takes UTC offsets as zones, Node 20's (our scripts) throws on them: the
  // field promises an IANA name, so an offset must not be stored just because this runtime can.
  it('refuses UTC offsets where a time zone name is asked for', () => {
    for (const zone of ['+05:00', '-0800', '+01']) {
      const result = subscribeSchema.safeParse({ email: 'x@example.com', time_zone: zone });
      expect(result.success).toBe(false);
      expect(fieldErrors(result.error!).time_zone![0]).toMatch(/time zone/);
    }
    expect(subscribeSchema.parse({ email: 'x@example.com', time_zone: 'Etc/GMT+5' }).time_zone).toBe(
      'Etc/GMT+5',
    );
  });

  it('counts a repeated interest once against the cap, as the digest reads it', () => {
    const repeated = Array.from({ length: MAX_INTERESTS + 5 }, (_, index) =>
      index % 2 ? `Topic ${index % 10}` : `topic ${index % 10}`,
    ).join(', ');
    const result = subscribeSchema.safeParse({ email: 'x@example.com', interests: repeated });
    expect(result.success).toBe(true);
    // Repeats up front do not push a later, distinct interest out of what ranking reads.
    const withLast = `${repeated}, cs.CL`;
    expect(subscribeSchema.safeParse({ email: 'x@example.com', interests: withLast }).success).toBe(true);
    expect(parseInterests(withLast).categories).toEqual(['cs.CL']);
  });

  it('accepts the frequency in any letter case', () => {
    for (const [given, stored] of [
      ['Daily', 'daily'],
      ['WEEKLY', 'weekly'],
      [' Weekly ', 'weekly'],
    ] as const) {
      expect(subscribeSchema.parse({ email: 'x@example.com', frequency: given }).frequency).toBe(stored);
      expect(preferencesSchema.parse({ frequency: given }).frequency).toBe(stored);
    }
    expect(subscribeSchema.safeParse({ email: 'x@example.com', frequency: 'Hourly' }).success).toBe(false);
  });

  it.each([
    ['7', 7],
    ['07', 7],
    ['7:00', 7],
    ['07:00', 7],
    ['07:00:00', 7],
    ['19:00', 19],
    ['0:00', 0],
    ['23', 23],
    ['7am', 7],
    ['7 AM', 7],
    ['7pm', 19],
    ['7:00 p.m.', 19],
    ['12am', 0],
    ['12pm', 12],
    ['11PM', 23],
  ])('reads the send hour %j as %i', (given, hour) => {
    expect(subscribeSchema.parse({ email: 'x@example.com', send_hour: given }).send_hour).toBe(hour);
    expect(preferencesSchema.parse({ send_hour: given }).send_hour).toBe(hour);
  });

  it('refuses a time off the hour with its own message, rather than rounding it', () => {
    for (const given of ['7:30', '07:15', '7:30pm', '07:00:30']) {
      const result = subscribeSchema.safeParse({ email: 'x@example.com', send_hour: given });
      expect(result.success).toBe(false);
      expect(fieldErrors(result.error!).send_hour).toEqual([
        'Choose a whole hour, like 7:00: digests are sent on the hour.',
      ]);
    }
  });

  it.each(['24:00', '13pm', '0am', '7:60', '25', '7 o’clock', '7:0'])('refuses the send hour %j', (given) => {
    const result = subscribeSchema.safeParse({ email: 'x@example.com', send_hour: given });
    expect(result.success).toBe(false);
    expect(fieldErrors(result.error!).send_hour![0]).toMatch(/hour from 0 to 23/);
  });

  it('stores interests in NFC and counts two spellings of one letter as one interest', () => {
    const precomposed = Array.from({ length: MAX_INTERESTS }, (_, index) => `caf\u00e9 ${index}`);
    const interests = [...precomposed, 'cafe\u0301 0'].join(', ');
    const result = subscribeSchema.safeParse({ email: 'x@example.com', interests });
    expect(result.success).toBe(true);
    expect(result.data!.interests).toBe([...precomposed, 'caf\u00e9 0'].join(', '));
    expect(preferencesSchema.parse({ interests: 'cafe\u0301' }).interests).toBe('caf\u00e9');
  });

  it('refuses fractional or non-numeric hours', () => {
    for (const hour of ['8.5', 'eight', -1, 1.5]) {
      expect(subscribeSchema.safeParse({ email: 'x@example.com', send_hour: hour }).success).toBe(false);
    }
  });
});

describe('preferencesSchema', () => {
  it('leaves absent fields out and coerces checkboxes and numbers', () => {
    expect(preferencesSchema.parse({ digest_size: '12', trending_mix: '0.5', always_send: 'on' })).toEqual({
      digest_size: 12,
      trending_mix: 0.5,
      always_send: true,
    });
  });

  it('refuses out-of-range values', () => {
    const result = preferencesSchema.safeParse({ digest_size: '51', trending_mix: '1.5', send_weekday: '7' });
    expect(Object.keys(fieldErrors(result.error!)).sort()).toEqual([
      'digest_size',
      'send_weekday',
      'trending_mix',
    ]);
  });
});

describe('parseSubmission', () => {
  // A JSON body's "__proto__" is an own key (JSON.parse); it was assigned into the errors
  // object, which set that object's prototype, and the request passed as if it had no extra field.
  it('reports a JSON "__proto__" field like any other unknown field', () => {
    const fields = JSON.parse('{"email":"x@example.com","__proto__":{"interests":"spam"}}');
    const result = parseSubmission(subscribeSchema, fields, 'json', []);
    expect(result.ok).toBe(false);
    expect(!result.ok && Object.keys(result.errors)).toEqual(['__proto__']);
  });
});

describe('trending_mix as text', () => {
  it('takes a decimal in exponent notation, as JavaScript writes a small one back', () => {
    expect(preferencesSchema.parse({ trending_mix: '5e-7' }).trending_mix).toBe(5e-7);
    expect(preferencesSchema.parse({ trending_mix: ' 3E-1 ' }).trending_mix).toBe(0.3);
  });

  it('still refuses what is not a plain decimal', () => {
    for (const bad of ['NaN', 'Infinity', '0x1', '1e', 'e5', '1e-', '1e2.5', '5e']) {
      expect(preferencesSchema.safeParse({ trending_mix: bad }).success, bad).toBe(false);
    }
  });
});
